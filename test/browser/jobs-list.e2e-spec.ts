import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Client,
  createTrainyardClient,
  getJob,
  listJobs,
  setPassword,
  setScheduler,
} from '@trainyard/sdk';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { CONSOLE_INDEX, SCREENSHOTS, launchChromium } from './browser';
import { submitNamedCommand } from './console-session';

/**
 * The Jobs table over 310 jobs (more than the 200 rows it loads): search and sorting on the server,
 * the true count, sortable headers, bulk actions on ticked rows, an 800 px wide window, and a deep
 * link that reads the list once and then follows the change stream.
 */
describe('console jobs list (browser e2e)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let api: Client;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const needles: string[] = [];
  const finished: string[] = [];

  const submit = (name: string, argv?: string[]) => submitNamedCommand(api, name, argv);
  const rows = () => page.locator('tbody tr[data-job-id]');
  const summary = () => page.locator('.page-head .summary');
  const search = async (text: string) => {
    await page.getByLabel('Search jobs').fill(text);
  };

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npm run build first`);
    server = await spawnServer(temp.home);
    api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    await setPassword({ client: api, body: { new_password: 'correct horse battery' } });
    for (const name of ['bulk-done-1', 'bulk-done-2']) finished.push(await submit(name));
    await waitFor(
      async () => (await listJobs({ client: api, query: { status: 'done' } })).data.total === 2 || undefined,
      'the two jobs to finish',
    );
    // The rest stay queued. The oldest job sorts first by name, and most needles are among the
    // oldest 110 — beyond the 200 rows the table loads.
    await setScheduler({ client: api, body: { enabled: false } });
    await submit('aaa-oldest');
    for (let i = 0; i < 304; i++) {
      const id = await submit(i % 10 === 0 && needles.length < 30 ? `needle-${i}` : `filler-${i}`);
      if (i % 10 === 0 && needles.length < 30) needles.push(id);
    }
    for (const name of ['bulk-q-1', 'bulk-q-2', 'bulk-q-3']) await submit(name);

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
    temp.remove();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  it('searches on the server: all 30 matches, beyond the rows loaded, with the true count', async () => {
    await page.goto(`${server.baseUrl}/jobs`);
    await summary().filter({ hasText: '310 jobs' }).waitFor();
    expect(await rows().count()).toBe(200);
    await search('needle');
    await summary().filter({ hasText: '30 matching' }).waitFor();
    await waitFor(async () => (await rows().count()) === 30 || undefined, '30 rows');
    const shown = await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-job-id')));
    expect(new Set(shown)).toEqual(new Set(needles));
    await search('');
    await summary().filter({ hasText: '310 jobs' }).waitFor();
  });

  it('narrows by job type and submit day on the server, kept in the URL', async () => {
    const type = page.getByLabel('Filter by job type');
    await type.locator('option[value="training"]').waitFor({ state: 'attached' });
    await type.selectOption('training');
    await summary().filter({ hasText: '0 matching' }).waitFor();
    await page.waitForURL((url) => url.searchParams.get('type') === 'training');
    await type.selectOption('command');
    await summary().filter({ hasText: '310 matching' }).waitFor();
    await type.selectOption('');

    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const to = page.getByLabel('Submitted to');
    await to.fill(day(-1));
    await to.dispatchEvent('change');
    await summary().filter({ hasText: '0 matching' }).waitFor();
    await to.fill(day(0));
    await to.dispatchEvent('change');
    await summary().filter({ hasText: '310 matching' }).waitFor();
    await to.fill('');
    await to.dispatchEvent('change');
    await summary().filter({ hasText: '310 jobs' }).waitFor();
  });

  it('sorts on the server by clicking a column header (aria-sort)', async () => {
    const header = page.getByRole('columnheader', { name: /Job/ });
    expect(await header.getAttribute('aria-sort')).toBe('none');
    await header.getByRole('button').click();
    await waitFor(async () => (await header.getAttribute('aria-sort')) === 'ascending' || undefined, 'asc');
    // The oldest job comes first A→Z, although the default order does not even load it.
    await rows().first().filter({ hasText: 'aaa-oldest' }).waitFor();
    await header.getByRole('button').click();
    await waitFor(async () => (await header.getAttribute('aria-sort')) === 'descending' || undefined, 'desc');
    await rows().first().filter({ hasText: 'needle-90' }).waitFor();
    await header.getByRole('button').click(); // back to the default order
    await waitFor(async () => (await header.getAttribute('aria-sort')) === 'none' || undefined, 'none');
    await rows().first().filter({ hasText: 'bulk-q-3' }).waitFor();
  });

  it('acts on ticked rows in bulk, after one confirmation naming them', async () => {
    await search('bulk');
    await summary().filter({ hasText: '5 matching' }).waitFor();
    await page.getByRole('checkbox', { name: 'Select all shown jobs' }).check();
    const toolbar = page.getByRole('toolbar', { name: 'Selected jobs' });
    await toolbar.getByText('5 selected').waitFor();
    await toolbar.getByRole('button', { name: 'Delete 2 finished' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Delete 2 jobs?' }).waitFor();
    expect(await dialog.locator('tbody tr').allTextContents()).toEqual([
      expect.stringContaining('bulk-done-2'),
      expect.stringContaining('bulk-done-1'),
    ]);
    await dialog.getByRole('button', { name: 'Delete 2 jobs' }).click();
    await summary().filter({ hasText: '3 matching' }).waitFor();
    for (const id of finished) {
      const { response } = await getJob({ client: api, path: { queue_id: id }, throwOnError: false });
      expect(response.status).toBe(404);
    }

    await page.getByRole('checkbox', { name: 'Select bulk-q-1' }).check();
    await page.getByRole('checkbox', { name: 'Select bulk-q-2' }).check();
    await toolbar.getByRole('button', { name: 'Cancel 2 queued' }).click();
    await dialog.getByRole('button', { name: 'Remove from queue' }).click();
    await summary().filter({ hasText: '1 matching' }).waitFor();
    expect(await rows().allTextContents()).toEqual([expect.stringContaining('bulk-q-3')]);
    await search('');
  });

  it('keeps the job name readable at 800 px wide: less needed columns drop out, GPUs stays', async () => {
    await page.setViewportSize({ width: 800, height: 700 });
    await page.goto(`${server.baseUrl}/jobs`);
    await rows().first().waitFor();
    const name = await rows().first().locator('.c-name').boundingBox();
    expect(name!.width).toBeGreaterThanOrEqual(250);
    // GPUs outlives Error (how a job ended then goes under its name: usability-trial.e2e-spec.ts).
    expect(await page.getByRole('columnheader', { name: 'GPUs' }).isVisible()).toBe(true);
    expect(await page.getByRole('columnheader', { name: 'Error' }).isVisible()).toBe(false);
    expect(await page.getByRole('columnheader', { name: 'Command' }).isVisible()).toBe(false);
    await page.screenshot({ path: join(SCREENSHOTS, 'jobs-800.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('a deep link reads the jobs list once, then only follows the change stream', async () => {
    const lists: string[] = [];
    const fresh = await context.newPage();
    // The jobs table's list; the sidebar's running-jobs count (status=running) is a separate, small read.
    fresh.on('request', (req) => {
      const url = new URL(req.url());
      if (url.pathname === '/api/jobs' && url.searchParams.get('status') !== 'running') lists.push(req.url());
    });
    const socket = fresh.waitForEvent('websocket', (ws) => ws.url().includes('/api/jobs/stream'));
    await fresh.goto(`${server.baseUrl}/jobs/${needles[0]}`);
    await fresh.getByRole('region', { name: `Job needle-0` }).waitFor();
    await socket;
    await new Promise((resolve) => setTimeout(resolve, 12_000)); // more than two of the old polls
    expect(lists).toHaveLength(1);

    // A change on the server: one more read, because the stream said so.
    await submit('after-the-link');
    await fresh.locator('tbody tr', { hasText: 'after-the-link' }).waitFor();
    expect(lists).toHaveLength(2);
    await fresh.close();
  }, 40_000);
});
