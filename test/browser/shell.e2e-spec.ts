import { existsSync, renameSync } from 'node:fs';
import {
  type Client,
  createTrainyardClient,
  getJob,
  listQueue,
  setScheduler,
  submitJob,
} from '@trainyard/sdk';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { freePort } from '../support/ports';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { CONSOLE_INDEX, launchChromium } from './browser';

/** The console's frame: first-run prompt, theme, activity view, an 800 px window, an outage. */
describe('console shell (browser e2e)', () => {
  const temp = makeTempHome();
  let port: number;
  let server: SpawnedServer;
  let api: Client;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const args = () => ['--port', String(port), '--fake-gpus', '1', '--persist-sessions'];

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npm run build first`);
    port = await freePort(); // the outage test brings the server back on the same address
    server = await spawnServer(temp.home, args());
    api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    browser = await launchChromium();
    context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 720 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
    temp.remove();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  it('remembers "Not now" on the set-password prompt across reloads', async () => {
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await page.getByRole('heading', { name: 'Set a password' }).waitFor();
    await page.getByRole('button', { name: 'Not now' }).click();
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Set a password' }).count()).toBe(0);
    expect(new URL(page.url()).pathname).toBe('/gpus');
  });

  it('cycles the theme light → dark → system, and system survives a reload', async () => {
    const toggle = page.getByRole('button', { name: /^Theme:/ });
    // Locators wait for the change to render (the CSP forbids waitForFunction's eval).
    const shows = async (mode: string, theme: string) => {
      await page.locator(`button[data-theme-mode="${mode}"]`).waitFor();
      await page.locator(`html[data-theme="${theme}"]`).waitFor({ state: 'attached' });
    };
    await shows('system', 'dark');
    expect(await toggle.getAttribute('aria-label')).toBe('Theme: system (dark). Switch to light');
    await toggle.click();
    await shows('light', 'light');
    await toggle.click();
    await shows('dark', 'dark');
    await toggle.click();
    await shows('system', 'dark');
    await page.reload();
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
    await shows('system', 'dark');
  });

  it('lists a finished job in the activity view, newest first and in words', async () => {
    const { data: job } = await submitJob({
      client: api,
      body: { job_type: 'command', name: 'train', requested_gpus: 0, job_params: { argv: ['true'] } },
    });
    await waitFor(
      async () => (await getJob({ client: api, path: { queue_id: job.queue_id } })).data.status === 'done',
      'the job to finish',
    );
    await page.keyboard.press('g');
    await page.keyboard.press('a');
    await page.getByRole('heading', { name: 'Activity' }).waitFor();
    const feed = page.getByRole('list', { name: 'Activity' });
    const finished = feed.locator('li', { hasText: "'train' finished (exit 0)" });
    await finished.waitFor();
    const rows = await feed.locator('li').allTextContents();
    // Newest first: the job finished after it was queued.
    const at = (text: string) => rows.findIndex((row) => row.includes(text));
    expect(at("'train' finished")).toBeLessThan(at("'train' queued"));
    await page.getByRole('group', { name: 'Show' }).getByRole('button', { name: 'Sign-in' }).click();
    await feed.locator('li', { hasText: "'train'" }).first().waitFor({ state: 'detached' });
    await feed.locator('li', { hasText: 'signed in with the token' }).first().waitFor();
    expect(await feed.locator('li[data-seq]').count()).toBe(
      await feed
        .locator('li', { hasText: /signed in|signed out|sign-in refused|password|sessions? ended/ })
        .count(),
    );
  });

  it('at 800 px collapses the sidebar by itself and keeps the queue name and reason readable', async () => {
    await setScheduler({ client: api, body: { enabled: false } });
    const { data: queued } = await submitJob({
      client: api,
      body: {
        job_type: 'command',
        name: 'resnet50-imagenet-baseline-long-name',
        requested_gpus: 1,
        job_params: { argv: ['true'] },
      },
    });
    await page.setViewportSize({ width: 800, height: 720 });
    await page.getByRole('button', { name: 'Expand sidebar' }).waitFor();
    const sidebar = await page.getByRole('navigation', { name: 'Console' }).boundingBox();
    expect(sidebar!.width).toBeLessThan(80);

    await page.keyboard.press('g');
    await page.keyboard.press('q');
    const row = page.locator(`tr[data-queue-id="${queued.queue_id}"]`);
    await row.waitFor();
    const name = await row.locator('td').nth(1).boundingBox();
    const reasonCell = row.locator('td.reason');
    const reason = await reasonCell.boundingBox();
    expect(name!.width).toBeGreaterThanOrEqual(200);
    expect(reason!.width).toBeGreaterThanOrEqual(250);
    expect(await page.getByRole('columnheader', { name: 'Age' }).isVisible()).toBe(false);
    // The whole reason is shown, not clamped or cut.
    const { data: queue } = await listQueue({ client: api });
    const expected = queue.items.find((i) => i.queue_id === queued.queue_id)!.pending_reason!;
    expect((await reasonCell.innerText()).replace(/\s+/g, ' ').trim()).toContain(expected.slice(0, 20));
    expect(
      await reasonCell.evaluate(
        (el: { scrollHeight: number; clientHeight: number }) => el.scrollHeight <= el.clientHeight + 1,
      ),
    ).toBe(true);
    // Opened by hand it stays open on this window.
    await page.getByRole('button', { name: 'Expand sidebar' }).click();
    await page.getByRole('button', { name: 'Collapse sidebar' }).waitFor();
    await page.getByRole('button', { name: 'Collapse sidebar' }).click();
    // Stacked, the row's buttons keep a margin to its borders.
    const rowBox = (await row.boundingBox())!;
    const buttons = await row
      .locator('td.actions .btn')
      .evaluateAll((els) =>
        els.map((el) => el.getBoundingClientRect()).map(({ top, bottom }) => ({ top, bottom })),
      );
    expect(buttons[0].top).toBeGreaterThanOrEqual(rowBox.y + 4);
    expect(buttons.at(-1)!.bottom).toBeLessThanOrEqual(rowBox.y + rowBox.height - 4);
    await page.setViewportSize({ width: 1280, height: 720 });
    // On a wide window too the reason has the room it needs, not the name's empty width (it had 130 px
    // at 1,280 and wrapped to nine lines).
    await waitFor(
      async () => ((await reasonCell.boundingBox())?.width ?? 0) >= 240,
      'a wide reason at 1280 px',
    );
    expect((await row.locator('td').nth(1).boundingBox())!.width).toBeGreaterThanOrEqual(200);
    await setScheduler({ client: api, body: { enabled: true } });
  });

  it('says "server degraded" and why while the state directory is moved away, and clears it when it is back', async () => {
    await page.keyboard.press('g');
    await page.keyboard.press('g');
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
    const moved = `${temp.home}-moved`;
    const banner = page.getByRole('alert').filter({ hasText: 'Server degraded' });
    renameSync(temp.home, moved);
    try {
      await banner.waitFor({ timeout: 15_000 });
      expect(await banner.textContent()).toContain(`the state directory ${temp.home} was moved or removed`);
    } finally {
      renameSync(moved, temp.home);
    }
    await banner.waitFor({ state: 'detached', timeout: 15_000 });
  }, 45_000);

  it('says "server unreachable" while the server is down and clears it when it is back', async () => {
    await page.keyboard.press('g');
    await page.keyboard.press('g');
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Console' });
    await nav.getByText('Scheduler running').waitFor();
    await server.stop();
    const banner = page.getByRole('alert').filter({ hasText: 'Server unreachable' });
    await banner.waitFor({ timeout: 15_000 });
    await nav.getByText('Scheduler unknown').waitFor();
    expect(await nav.getByText('Scheduler running').count()).toBe(0);

    server = await spawnServer(temp.home, args());
    await banner.waitFor({ state: 'detached', timeout: 20_000 });
    await nav.getByText('Scheduler running').waitFor();
  }, 60_000);
});
