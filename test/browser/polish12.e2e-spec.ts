import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Client, createTrainyardClient, getJob, setPassword } from '@trainyard/sdk';
import { Browser, Page } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { closeConsole, submitNamedCommand } from './console-session';
import { CONSOLE_INDEX, SCREENSHOTS, launchChromium } from './browser';

/**
 * Console details a new user tripped over: the wording of a one-job Kill, the Jobs list state in the
 * URL, the count of a long finished log's hidden lines, and GPU cards that fill the row.
 */
interface Box {
  top: number;
  left: number;
  right: number;
  width: number;
}

describe('console polish (browser e2e)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let api: Client;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const running: string[] = [];
  let longLog = '';

  const submit = (name: string, argv?: string[]) => submitNamedCommand(api, name, argv);

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npm run build first`);
    server = await spawnServer(temp.home, ['--fake-gpus', '2']);
    api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    await setPassword({ client: api, body: { new_password: 'correct horse battery' } });
    running.push(
      await submit('sleeper-one', ['sleep', '300']),
      await submit('sleeper-two', ['sleep', '300']),
    );
    longLog = await submit('long-log', ['seq', '1', '30000']);
    await waitFor(
      async () => (await getJob({ client: api, path: { queue_id: longLog } })).data.status === 'done',
      'the long log to finish',
      30_000,
    );
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    // Jobs outlive the server by design: closeConsole stops whatever is still queued or running.
    await closeConsole({ api, browser, server });
    temp.remove();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  it('lays two GPU cards across the row at 800, 1280 and 1920 px', async () => {
    for (const width of [800, 1280, 1920]) {
      await page.setViewportSize({ width, height: 800 });
      await page.locator('ty-gpu-card[data-gpu="1"]').waitFor();
      const boxes = await page
        .locator('ty-gpu-card')
        .evaluateAll((cards) => cards.map((c) => c.getBoundingClientRect().toJSON() as Box));
      const grid = await page
        .locator('ty-gpu-card')
        .first()
        .evaluate((c) => c.parentElement!.getBoundingClientRect().toJSON() as Box);
      await page.screenshot({ path: join(SCREENSHOTS, `polish12-gpus-${width}.png`) });
      expect(boxes).toHaveLength(2);
      for (const box of boxes) expect(box.width).toBeGreaterThanOrEqual(Math.min(360, grid.width) - 1);
      // Side by side they fill the row; stacked, each takes the whole row.
      const sideBySide = boxes[0].top === boxes[1].top;
      const used = sideBySide ? boxes[1].right - boxes[0].left : boxes[0].width;
      expect(used).toBeGreaterThan(grid.width - 2);
      if (width >= 1280) expect(sideBySide).toBe(true);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('asks about one ticked job in the singular, and about several with their count', async () => {
    await page.goto(`${server.baseUrl}/jobs`);
    await page.getByRole('checkbox', { name: 'Select sleeper-one' }).check();
    await page.getByRole('button', { name: 'Kill 1 running' }).click();
    let dialog = page.getByRole('dialog', { name: 'Kill sleeper-one?' });
    await dialog.getByText(/^Its processes get SIGTERM/).waitFor();
    expect(await dialog.getByText(/these/).count()).toBe(0);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('checkbox', { name: 'Select sleeper-two' }).check();
    await page.getByRole('button', { name: 'Kill 2 running' }).click();
    dialog = page.getByRole('dialog', { name: 'Kill 2 jobs?' });
    await dialog.getByText(/^Every process of these 2 jobs/).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Clear selection' }).click();
  });

  it('keeps search, status filter and sort in the URL, through a reload and an opened job', async () => {
    await page.goto(`${server.baseUrl}/jobs`);
    await page.getByLabel('Search jobs').fill('sleeper');
    await page
      .getByRole('group', { name: 'Filter by status' })
      .getByRole('button', { name: 'Active' })
      .click();
    // The filter re-renders the table: its header is clicked once that is done (on a loaded machine
    // a click during the re-render could land on the header being replaced).
    await waitFor(() => new URL(page.url()).searchParams.get('status') === 'active', 'status in the URL');
    await page.getByRole('columnheader', { name: /Job/ }).getByRole('button').click();
    const params = () => Object.fromEntries(new URL(page.url()).searchParams);
    const want: Record<string, string> = { q: 'sleeper', status: 'active', sort: 'name', order: 'asc' };
    const inUrl = () => Object.entries(want).every(([key, value]) => params()[key] === value);
    await waitFor(inUrl, 'search, filter and sort in the URL');
    expect(params()).toEqual(want);

    await page.reload();
    await page.locator('tbody tr[data-job-id]').first().filter({ hasText: 'sleeper-one' }).waitFor();
    expect(await page.getByLabel('Search jobs').inputValue()).toBe('sleeper');
    expect(
      await page
        .getByRole('group', { name: 'Filter by status' })
        .getByRole('button', { name: 'Active' })
        .getAttribute('aria-pressed'),
    ).toBe('true');
    expect(await page.getByRole('columnheader', { name: /Job/ }).getAttribute('aria-sort')).toBe('ascending');
    expect(await page.locator('tbody tr[data-job-id]').count()).toBe(2);

    await page.getByRole('link', { name: 'sleeper-two' }).click();
    await page.getByRole('region', { name: 'Job sleeper-two' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/jobs/${running[1]}`);
    expect(params()).toEqual({ q: 'sleeper', status: 'active', sort: 'name', order: 'asc' });
  });

  it("counts a finished log's hidden lines from the server, the same on every load", async () => {
    // 30,000 lines: the pane loads the last 25,000, so lines 1–5,000 are not shown.
    const banner = page.locator('.log-banner');
    const counts: string[] = [];
    for (let load = 0; load < 2; load++) {
      await page.goto(`${server.baseUrl}/jobs/${longLog}`);
      await page.locator('.log-term .xterm-rows', { hasText: '30000' }).waitFor();
      await banner.getByText(/^Lines 1–[\d,]+ not shown$/).waitFor();
      counts.push((await banner.getByText(/^Lines 1–/).textContent())!.trim());
    }
    expect(counts).toEqual(['Lines 1–5,000 not shown', 'Lines 1–5,000 not shown']);

    await banner.getByRole('button', { name: 'Load earlier' }).click();
    await page.locator('.log-state', { hasText: 'Showing an earlier part' }).waitFor();
    // The job has ended: there is no live output to pause.
    expect((await page.locator('.log-state').textContent())!.trim()).toBe('Showing an earlier part');
    await page.screenshot({ path: join(SCREENSHOTS, 'polish12-log-earlier.png') });
  });
});
