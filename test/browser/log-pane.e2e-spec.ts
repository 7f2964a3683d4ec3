import { existsSync } from 'node:fs';
import {
  type Client,
  createTrainyardClient,
  getJob,
  restartServer,
  setPassword,
  submitJob,
} from '@trainyard/sdk';
import { Browser, Page } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { freePort } from '../support/ports';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { closeConsole } from './console-session';
import { CONSOLE_INDEX, launchChromium } from './browser';

/**
 * The job log pane in Chromium: a log longer than the terminal keeps (says so, loads earlier
 * parts, searches all of it on the server), a server restart with the log open (keeps what is
 * shown and resumes at the offset received), shortcuts with the log focused, U+FFFD for invalid
 * UTF-8, and the "N new lines" marker while follow is paused.
 */
describe('job log pane (browser e2e)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let api: Client;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const submit = async (name: string, script: string, wait: 'done' | 'running') => {
    const { data } = await submitJob({
      client: api,
      body: { job_type: 'command', name, requested_gpus: 0, job_params: { argv: ['sh', '-c', script] } },
    });
    await waitFor(
      async () => (await getJob({ client: api, path: { queue_id: data.queue_id } })).data.status === wait,
      `${name} to be ${wait}`,
      60_000,
    );
    return data.queue_id;
  };
  // A byte 0xff (invalid anywhere in UTF-8) and a whole euro sign, shared by two tests.
  let bytes: Promise<string> | undefined;
  const bytesJob = () =>
    (bytes ??= submit('bytes', `printf 'bad \\377 byte\\nsplit \\342\\202\\254 euro\\n'`, 'done'));
  const rows = () => page.locator('.log-term .xterm-rows');
  const open = async (id: string, name: string) => {
    await page.goto(`${server.baseUrl}/jobs/${id}`);
    await page.getByRole('region', { name: `Job ${name}` }).waitFor();
  };

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npx ng build first`);
    const port = await freePort();
    server = await spawnServer(temp.home, ['--port', String(port), '--fake-gpus', '1', '--persist-sessions']);
    api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    await setPassword({ client: api, body: { new_password: 'correct horse battery' } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
  }, 60_000);

  afterAll(async () => {
    // Jobs outlive the server by design: closeConsole stops whatever is still queued or running.
    await closeConsole({ api, browser, server });
    temp.remove();
  });

  it('says which lines of a 120,000-line log are not in the terminal, and search from the top jumps there', async () => {
    const id = await submit(
      'long',
      `awk 'BEGIN { for (i = 1; i <= 120000; i++) if (i == 5) print "needle-five here"; else print "line " i }'`,
      'done',
    );
    await open(id, 'long');
    await rows().filter({ hasText: 'line 120000' }).waitFor();
    const banner = page.locator('.log-banner');
    await banner.getByText(/Lines 1–[\d,]+ not shown/).waitFor();
    const hidden = Number((await banner.textContent())!.match(/Lines 1–([\d,]+)/)![1].replace(/,/g, ''));
    // The pane loads the last 25,000 lines (well within the terminal's scrollback): the count is the
    // server's, exact, not the terminal's row arithmetic.
    expect(hidden).toBe(120_000 - 25_000);

    const search = page.getByRole('searchbox', { name: 'Find in log' });
    await search.fill('needle-five');
    await page.locator('.log-count').getByText('1 / 1').waitFor();
    await rows().filter({ hasText: 'needle-five here' }).waitFor();
    expect(await rows().textContent()).toContain('line 4');
    // Now the top is shown and the end is not: the banner says so, and the way back.
    await banner.getByText(/later lines not shown/).waitFor();
    expect(await banner.textContent()).not.toMatch(/Lines 1–/);
    await banner.getByRole('button', { name: 'Back to the end' }).click();
    const shown = async () =>
      Number(((await banner.textContent()) ?? '').match(/Lines 1–([\d,]+)/)?.[1].replace(/,/g, ''));
    await rows().filter({ hasText: 'line 120000' }).waitFor();
    await waitFor(async () => (await shown()) === hidden, 'the whole tail again');

    // "Load earlier" shows the lines just before the terminal's first one.
    await banner.getByRole('button', { name: 'Load earlier' }).click();
    const after = await waitFor(
      async () => ((await shown()) < hidden ? shown() : undefined),
      'earlier lines',
    );
    expect(after).toBeGreaterThan(hidden - 40_000);
    await rows()
      .filter({ hasText: `line ${hidden + 1}` })
      .waitFor();
  }, 120_000);

  it('shows invalid UTF-8 as U+FFFD, and keeps multi-byte characters whole', async () => {
    await open(await bytesJob(), 'bytes');
    await rows().filter({ hasText: 'bad \ufffd byte' }).waitFor();
    await rows().filter({ hasText: 'split € euro' }).waitFor();
  }, 60_000);

  it('lets the app shortcuts through once the log has focus (Esc closes the pane, g q)', async () => {
    await open(await bytesJob(), 'bytes');
    await rows().filter({ hasText: 'split' }).waitFor();
    await page.locator('.log-term').click();
    expect(
      await page
        .locator('.log-term .xterm-helper-textarea')
        .evaluate((el) => el === el.ownerDocument.activeElement),
    ).toBe(true);
    await page.keyboard.press('Escape');
    await waitFor(() => new URL(page.url()).pathname === '/jobs', 'Esc to close the log pane');
    await open(await bytesJob(), 'bytes');
    await page.locator('.log-term').click();
    await page.keyboard.press('g');
    await page.keyboard.press('q');
    await waitFor(() => new URL(page.url()).pathname === '/queue', 'g q to open the queue');
  }, 60_000);

  it('marks new lines while follow is paused; the marker jumps to the end and follows again', async () => {
    const id = await submit(
      'ticker',
      'seq 1 300; i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo tick $i; sleep 0.1; done',
      'running',
    );
    await open(id, 'ticker');
    await rows()
      .filter({ hasText: /tick \d/ })
      .waitFor();
    const follow = page.getByRole('button', { name: 'Follow' });
    expect(await follow.getAttribute('aria-pressed')).toBe('true');
    await page.locator('.log-term').hover();
    await page.mouse.wheel(0, -2000);
    await waitFor(async () => (await follow.getAttribute('aria-pressed')) === 'false', 'follow to pause');
    const marker = page.getByRole('button', { name: /\d+ new lines? ↓/ });
    await marker.waitFor();
    await waitFor(
      async () => Number((await marker.textContent())!.match(/\d+/)![0]) >= 3,
      'lines to count up',
    );
    await marker.click();
    await waitFor(async () => (await follow.getAttribute('aria-pressed')) === 'true', 'follow to resume');
    await marker.waitFor({ state: 'detached' });
  }, 60_000);

  it('keeps the log across a server restart and resumes at the offset received (no re-download)', async () => {
    // ~1 MB of backlog, then a line every 100 ms.
    const id = await submit(
      'restart-me',
      'seq -f "backlog %g ........................................" 1 20000; ' +
        'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo tick $i; sleep 0.1; done',
      'running',
    );
    const sockets: { url: string; bytes: number }[] = [];
    page.on('websocket', (ws) => {
      if (!ws.url().includes('/tty')) return;
      const entry = { url: ws.url(), bytes: 0 };
      sockets.push(entry);
      ws.on('framereceived', ({ payload }) => {
        entry.bytes += typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
      });
    });
    await open(id, 'restart-me');
    await rows()
      .filter({ hasText: /tick \d/ })
      .waitFor();
    expect(sockets).toHaveLength(1);
    expect(sockets[0].bytes).toBeGreaterThan(900_000);

    await restartServer({ client: api });
    await server.nextBanner();
    await page
      .getByRole('status')
      .filter({ hasText: /Reconnected at/ })
      .waitFor({ timeout: 30_000 });
    // The gap is marked in the terminal: a dim line where the stream resumed (scrolled past by the
    // output that came in meanwhile, so look back for it).
    const mark = rows().filter({ hasText: /— reconnected at \d\d:\d\d:\d\d, nothing was lost —/ });
    await page.locator('.log-term').hover();
    for (let i = 0; i < 40 && !(await mark.count()); i++) await page.mouse.wheel(0, -60);
    await mark.waitFor();
    expect(await rows().textContent()).toMatch(/tick \d+/);
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    const resumed = sockets.at(-1)!;
    const offset = Number(new URL(resumed.url).searchParams.get('offset'));
    // Resumed where the first socket stopped, and only the new output came again.
    expect(offset).toBeGreaterThan(900_000);
    const lastTickShown = async () =>
      Math.max(
        0,
        ...[...((await rows().textContent()) ?? '').matchAll(/tick (\d+)/g)].map((m) => Number(m[1])),
      );
    const seen = await lastTickShown();
    await page.getByRole('button', { name: 'Follow' }).click();
    await waitFor(async () => (await lastTickShown()) >= seen + 5, 'new lines after the restart');
    expect(resumed.bytes).toBeLessThan(20_000);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
