import { join } from 'node:path';
import { createRun, logRun, submitJob } from '@trainyard/sdk';
import { spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { SCREENSHOTS, launchChromium } from './browser';
import { type ConsoleSession, closeConsole, openConsole } from './console-session';

/**
 * What a user trial of the console (2026-12-03; 1280 px, 4 fake GPUs) tripped over: long names
 * pushing columns and badges out of view, a filter row leaving one field alone on a line, a GPU
 * priority gate past the server's bound closing its dialog, and a password form with no password.
 */
describe('console trial fixes (browser e2e)', () => {
  const temp = makeTempHome();
  let session: ConsoleSession;
  const LONG =
    'llama3-8b-finetune-with-a-really-really-long-experiment-name-lr3e-4-bs256-cosine-warmup5-seed1234';
  const shot = (name: string) => session.page.screenshot({ path: join(SCREENSHOTS, `trial22-${name}.png`) });

  beforeAll(async () => {
    session = await openConsole(temp.home, ['--fake-gpus', '2']);
  }, 60_000);
  afterAll(async () => {
    await closeConsole(session);
    temp.remove();
  });
  afterEach(() => expect(session.pageErrors).toEqual([]));

  it('a long run name is cut in its cell: status, start and source stay in view at 1280 px', async () => {
    const { page, api, server } = session;
    const { data } = await createRun({ client: api, body: { name: LONG, project: `${LONG}-project` } });
    await logRun({ client: api, path: { run_id: data.run_id }, body: { configs: { lr: 0.1 } } });
    await page.goto(`${server.baseUrl}/runs`);
    const row = page.locator('tr[data-run-id]').first();
    await row.waitFor();
    const wrap = await page.locator('.table-wrap').evaluate((el) => ({
      overflow: el.scrollWidth - el.clientWidth,
      right: el.getBoundingClientRect().right,
    }));
    expect(wrap.overflow).toBeLessThanOrEqual(0);
    const cells = await row
      .locator('td')
      .evaluateAll((tds) =>
        tds.map((td) => ({ right: td.getBoundingClientRect().right, title: td.getAttribute('title') })),
      );
    for (const cell of cells) expect(cell.right).toBeLessThanOrEqual(wrap.right + 0.5);
    // The whole name on hover.
    expect(cells[1].title).toBe(LONG);
    expect((await row.locator('td').nth(4).textContent())?.trim()).toBe('running');
    await shot('runs-long-name');
  });

  it('a long job name on a GPU’s Reserved badge is cut inside its card', async () => {
    const { page, api, server } = session;
    await submitJob({
      client: api,
      body: { job_type: 'command', requested_gpus: 1, name: LONG, job_params: { argv: ['sleep', '300'] } },
    });
    await page.goto(`${server.baseUrl}/gpus`);
    const badge = page.locator('ty-gpu-card a.badge', { hasText: 'Reserved' });
    await badge.waitFor();
    const [card, pill] = await Promise.all([
      badge.evaluate((el) => el.closest('ty-gpu-card')!.getBoundingClientRect().right),
      badge.evaluate((el) => el.getBoundingClientRect().right),
    ]);
    expect(pill).toBeLessThanOrEqual(card);
    expect(await badge.getAttribute('title')).toContain(LONG);
    await shot('gpu-long-name');
  });

  it('the Jobs filters wrap to a second line together at 1280 px, never one field alone', async () => {
    const { page, server } = session;
    await page.goto(`${server.baseUrl}/jobs`);
    const top = (label: string) =>
      page.getByLabel(label, { exact: true }).evaluate((el) => Math.round(el.getBoundingClientRect().top));
    const [type, from, to] = [
      await top('Filter by job type'),
      await top('Submitted from'),
      await top('Submitted to'),
    ];
    expect([from, to]).toEqual([type, type]);
    await shot('jobs-head');
  });

  it('a GPU priority gate past ±1,000,000 is refused at the field, the dialog kept open', async () => {
    const { page, server } = session;
    await page.goto(`${server.baseUrl}/gpus`);
    await page.getByRole('button', { name: 'Actions for GPU 1' }).click();
    await page.getByRole('menuitem', { name: 'Set minimum priority…' }).click();
    const field = page.getByLabel('Minimum priority');
    await field.fill('99999999999');
    await field.press('Enter');
    await page.getByText('A whole number from -1,000,000 to 1,000,000, e.g. 10 or -5.').waitFor();
    expect(await field.isVisible()).toBe(true);
    expect(await field.inputValue()).toBe('99999999999');
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  it('focus goes to the field a New job step adds (a dependency row, the service name) and back when it goes', async () => {
    const { page, server } = session;
    await page.goto(`${server.baseUrl}/jobs`);
    await page.getByRole('button', { name: 'New job' }).click();
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await dialog.waitFor();
    const focused = (id: string) =>
      waitFor(
        async () => (await page.evaluate('document.activeElement?.id')) === id || undefined,
        `focus on #${id}`,
      );
    await dialog.getByLabel('argv *').fill('mkdocs serve');
    await dialog.getByText('Advanced', { exact: true }).click();
    await dialog.getByRole('button', { name: 'Add dependency' }).click();
    await focused('submit-dep-0');
    await dialog.getByRole('button', { name: 'Remove dependency 1' }).click();
    await focused('submit-dep-add');
    await dialog.getByRole('button', { name: 'Save as service…' }).click();
    await focused('service-name');
    await page.keyboard.press('Escape'); // back from the name step, to the button that opened it
    await focused('submit-save-service');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  it('with no password set, the Password sign-in cannot be tried (each try would count as a failure)', async () => {
    const fresh = makeTempHome();
    const server = await spawnServer(fresh.home);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${server.baseUrl}/sign-in`);
      await page.getByRole('button', { name: 'Password' }).click();
      const password = page.getByLabel('Password', { exact: true });
      await waitFor(async () => (await password.isDisabled()) || undefined, 'the password field disabled');
      expect(await page.getByRole('button', { name: 'Sign in' }).isDisabled()).toBe(true);
      await page.getByText('No password is set yet').waitFor();
    } finally {
      await browser.close();
      await server.stop();
      fresh.remove();
    }
  });
});
