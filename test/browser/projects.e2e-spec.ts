import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Client,
  addSearchRoot,
  createTrainyardClient,
  getJob,
  listRunsPage,
  setPassword,
} from '@trainyard/sdk';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { CONSOLE_INDEX, SCREENSHOTS, launchChromium } from './browser';

// A 2×2 red PNG: the README's image, served through /api/fs/asset.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * The Projects view against the built server and a real trainyard.yaml project under a search root:
 * the tree shows the project and its config, the README renders with its image through the asset
 * endpoint, Run… with one overridden parameter lands on the job whose log echoes that value, the
 * override is pre-filled next time, and deleting an artifact asks first.
 */
describe('projects view (browser e2e)', () => {
  const temp = makeTempHome();
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'ty-projects-')));
  const proj = join(root, 'demo');
  const checkpoint = join(proj, 'out', 'train', 'checkpoint-5');
  let server: SpawnedServer;
  let api: Client;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  const row = (label: string) =>
    page
      .locator('ty-projects-page li[role="treeitem"]')
      .filter({ has: page.locator(`span.label:text-is("${label}")`) });
  const menuItem = (label: string) =>
    page.getByRole('menuitem').filter({ has: page.locator(`span:text-is("${label}")`) });
  /** Polls `read` until it gives `want` (a value that settles after a request), else fails with the last. */
  const until = async <T>(read: () => Promise<T>, want: T, ms = 10_000) => {
    const end = Date.now() + ms;
    let last = await read();
    while (last !== want && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      last = await read();
    }
    expect(last).toBe(want);
  };
  const runDialog = () => page.getByRole('dialog', { name: 'Run Demo / train' });

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npx ng build first`);
    mkdirSync(join(proj, 'img'), { recursive: true });
    mkdirSync(join(proj, 'out', 'train', 'runs', 'r1'), { recursive: true });
    mkdirSync(checkpoint, { recursive: true });
    writeFileSync(join(proj, 'img', 'plot.png'), PNG);
    writeFileSync(join(proj, 'README.md'), '# Demo heading\n\nA small demo.\n\n![loss plot](img/plot.png)\n');
    writeFileSync(
      join(proj, 'trainyard.yaml'),
      [
        'name: Demo',
        'output_dir: out/{config}',
        'configs:',
        '  - name: train',
        '    job_type: command',
        "    argv: [echo, lr-is, '{lr}']",
        '    params:',
        '      - { name: lr, type: number, default: 0.001, help: Peak learning rate }',
        '      - { name: opt, choices: [adamw, sgd], default: adamw }',
        '',
      ].join('\n'),
    );
    writeFileSync(join(proj, 'out', 'train', 'runs', 'r1', 'train.log'), 'step 1\n');
    writeFileSync(join(checkpoint, 'model.safetensors'), 'x'.repeat(2048));
    writeFileSync(join(checkpoint, 'trainer_state.json'), JSON.stringify({ global_step: 5 }));

    server = await spawnServer(temp.home);
    api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    await setPassword({ client: api, body: { new_password: 'correct horse battery' } });
    await addSearchRoot({ client: api, body: { path: root } });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
    await page.getByRole('link', { name: 'Projects' }).click();
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
    temp.remove();
    rmSync(root, { recursive: true, force: true });
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  it('shows the project under its search root and its config when opened by keyboard', async () => {
    await row(root).waitFor();
    await row('Demo').click();
    await row('train').waitFor();
    expect(await row('Demo').getAttribute('aria-expanded')).toBe('true');
    // ArrowLeft closes the project, ArrowRight opens it again.
    await row('Demo').focus();
    await page.keyboard.press('ArrowLeft');
    await row('train').waitFor({ state: 'detached' });
    await page.keyboard.press('ArrowRight');
    await row('train').waitFor();
  });

  it('renders the README with a heading and its image served through the asset endpoint', async () => {
    await row('Demo').click({ button: 'right' });
    await menuItem('Open README').click();
    const article = page.locator('article.markdown');
    await article.getByRole('heading', { name: 'Demo heading' }).waitFor();
    const img = article.locator('img');
    await until(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth), 2);
    expect(await img.getAttribute('src')).toContain('/api/fs/asset?');
  });

  it('runs the config with one overridden parameter and lands on the job, whose log shows it', async () => {
    await row('train').click({ button: 'right' });
    await menuItem('Run…').click();
    const dialog = runDialog();
    const lr = dialog.getByLabel('lr (number)');
    await until(() => lr.inputValue(), '0.001');
    await lr.fill('fast');
    await dialog.getByRole('button', { name: 'Run' }).click();
    await dialog.getByText('must be a number').waitFor();
    await lr.fill('0.25');
    await dialog.getByRole('button', { name: 'Run' }).click();
    await page.waitForURL(/\/jobs\/[^/?]+$/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await page.locator('.log-term .xterm-rows', { hasText: 'lr-is 0.25' }).waitFor();
    const { data: job } = await getJob({ client: api, path: { queue_id: id } });
    expect(job.cwd).toBe(proj);
    expect(job.job_params).toMatchObject({ argv: ['echo', 'lr-is', '0.25'] });
  });

  it('pre-fills the remembered override the next time the dialog opens', async () => {
    await page.getByRole('link', { name: 'Projects' }).click();
    await row('train').click({ button: 'right' });
    await menuItem('Run…').click();
    await until(() => runDialog().getByLabel('lr (number)').inputValue(), '0.25');
    await page.screenshot({ path: join(SCREENSHOTS, 'projects-run-dialog.png') });
    await runDialog().getByRole('button', { name: 'Cancel' }).click();
    await runDialog().waitFor({ state: 'detached' });
  });

  it('runs with a parameter put back to its default (before: the remembered value ran), and forgets it', async () => {
    await row('train').click({ button: 'right' });
    await menuItem('Run…').click();
    const lr = runDialog().getByLabel('lr (number)');
    await until(() => lr.inputValue(), '0.25');
    await lr.fill('0.001');
    await runDialog().getByRole('button', { name: 'Run' }).click();
    await page.waitForURL(/\/jobs\/[^/?]+$/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const { data: job } = await getJob({ client: api, path: { queue_id: id } });
    expect(job.job_params).toMatchObject({ argv: ['echo', 'lr-is', '0.001'] });
    await page.getByRole('link', { name: 'Projects' }).click();
    await row('train').click({ button: 'right' });
    await menuItem('Run…').click();
    await until(() => runDialog().getByLabel('lr (number)').inputValue(), '0.001');
    await runDialog().getByRole('button', { name: 'Cancel' }).click();
    await runDialog().waitFor({ state: 'detached' });
  });

  it('lists the config’s artifacts and asks before deleting one', async () => {
    await row('train').focus();
    await page.keyboard.press('ArrowRight');
    await row('checkpoint-5').waitFor();
    await row('r1').waitFor();
    await page.getByRole('tab', { name: 'Runs' }).click();
    // The config's tracked runs: the two Runs above (before: "No runs yet" under its Runs heading).
    const tracked = page.getByRole('table', { name: 'Tracked runs' });
    await tracked.waitFor();
    const { data: mine } = await listRunsPage({ client: api, query: { project: 'Demo', q: 'Demo/train' } });
    expect(mine.items.length).toBeGreaterThanOrEqual(2);
    for (const run of mine.items) await tracked.locator(`a[href="/runs?run=${run.run_id}"]`).waitFor();
    const cpRow = page.getByRole('table', { name: 'Checkpoints' }).getByRole('row', { name: /checkpoint-5/ });
    await cpRow.getByRole('cell', { name: '5', exact: true }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'projects-view.png') });

    const confirm = page.getByRole('dialog', { name: 'Delete checkpoint' });
    await row('checkpoint-5').click({ button: 'right' });
    await menuItem('Delete…').click();
    await confirm.getByText(checkpoint).waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(existsSync(checkpoint)).toBe(true);

    await row('checkpoint-5').click({ button: 'right' });
    await menuItem('Delete…').click();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await row('checkpoint-5').waitFor({ state: 'detached' });
    expect(existsSync(checkpoint)).toBe(false);
    expect(existsSync(join(proj, 'out', 'train', 'runs', 'r1'))).toBe(true);
  });

  it('shows a refused new config (409) inline in its dialog', async () => {
    await row('Demo').click({ button: 'right' });
    await menuItem('New config…').click();
    const dialog = page.getByRole('dialog', { name: 'New config' });
    await dialog.getByRole('textbox').fill('train');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').textContent()).toMatch(/train/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('fits an 800 px wide window: tree above the details, nothing wider than the page', async () => {
    await page.setViewportSize({ width: 800, height: 800 });
    await row('Demo').click();
    await page.locator('article.markdown').getByRole('heading', { name: 'Demo heading' }).waitFor();
    expect(await page.locator('html').evaluate((el) => el.scrollWidth)).toBeLessThanOrEqual(800);
    await page.screenshot({ path: join(SCREENSHOTS, 'projects-800.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
