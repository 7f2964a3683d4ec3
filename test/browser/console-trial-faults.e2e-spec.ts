import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRun, logRun, setScheduler } from '@trainyard/sdk';
import type { Page } from 'playwright-core';
import { waitFor } from '../support/wait';
import { makeTempHome } from '../support/temp-home';
import { SCREENSHOTS } from './browser';
import { type ConsoleSession, closeConsole, openConsole, submitNamedCommand } from './console-session';

/** The page's DOM, as far as these tests read it (the test build has no DOM types). */
interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
  width: number;
}
type El = {
  scrollWidth: number;
  clientWidth: number;
  textContent: string | null;
  getBoundingClientRect(): Box;
  closest(s: string): El | null;
  contains(e: El | null): boolean;
};
type Doc = {
  querySelector(s: string): El | null;
  querySelectorAll(s: string): Iterable<El>;
  elementFromPoint(x: number, y: number): El | null;
  scrollingElement: El;
};

/**
 * What a new-user trial of the console (headless Chromium) found: list views whose identifying
 * column vanished at 600 px, a wide compare table drawn over its neighbour, the Inference view
 * keeping one server's models after switching to another, red errors in the browser console on a
 * healthy setup, and chart text in raw float digits or "1 points".
 */
describe('console trial faults (browser e2e)', () => {
  const temp = makeTempHome();
  let session: ConsoleSession;
  const consoleErrors: string[] = [];
  const runIds: string[] = [];
  let llm: Server;
  let llmUrl: string;

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `console-trial-${name}.png`) });

  beforeAll(async () => {
    session = await openConsole(temp.home, ['--fake-gpus', '2']);
    session.page.on('console', (msg) => {
      if (msg.type() === 'error' || /ResizeObserver loop/.test(msg.text())) consoleErrors.push(msg.text());
    });
    const { api } = session;
    // 40 runs with 30 configs each: compared together, their configs table is far wider than its column.
    for (let i = 0; i < 40; i++) {
      const { data } = await createRun({
        client: api,
        body: { name: `sweep-lr-${i}`, project: 'me/long-project-name' },
      });
      const configs = Object.fromEntries(
        Array.from({ length: 30 }, (_, k) => [
          `optimizer.group_${k}.learning_rate`,
          0.001 * (i + 1) * (k + 1),
        ]),
      );
      await logRun({
        client: api,
        path: { run_id: data.run_id },
        body: {
          configs,
          strings: [{ path: 'sample', step: 0, value: `text of run ${i}` }],
          status: 'finished',
        },
      });
      runIds.push(data.run_id);
    }
    // A queued and a finished job for the Jobs and Queue views.
    await setScheduler({ client: api, body: { enabled: false } });
    await submitNamedCommand(api, 'eval-waiting');
    // A vLLM-like server: /health at its root only, five models under /v1.
    llm = createServer((req, res) => {
      if (req.url === '/health') return res.writeHead(200).end('ok');
      if (req.url === '/v1/models') {
        const data = ['m-a', 'm-b', 'm-c', 'm-d', 'm-e'].map((id) => ({ id, object: 'model' }));
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
      }
      res.writeHead(404).end('no route');
    }).listen(0, '127.0.0.1');
    await once(llm, 'listening');
    llmUrl = `http://127.0.0.1:${(llm.address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(async () => {
    await setScheduler({ client: session.api, body: { enabled: true } }).catch(() => undefined);
    await closeConsole(session);
    llm?.close();
    temp.remove();
  });

  afterEach(() => expect(session.pageErrors).toEqual([]));

  describe('at 600 px the identifying column of each list stays readable', () => {
    /** Each view, the header of its identifying column, and a cell that must show its text whole. */
    const views: Array<{ path: string; header: string; cell: string; text: string }> = [
      {
        path: '/runs',
        header: 'table.runs th:nth-child(2)',
        cell: 'table.runs td:nth-child(2) a',
        text: 'sweep-lr-39',
      },
      { path: '/jobs', header: 'table.jobs th.c-name', cell: 'table.jobs .job-link', text: 'eval-waiting' },
      { path: '/queue', header: 'table th.job-col', cell: 'table .job-link', text: 'eval-waiting' },
    ];

    it.each(views)('$path', async ({ path, header, cell, text }) => {
      const context = await session.browser.newContext({ viewport: { width: 600, height: 900 } });
      try {
        const page = await context.newPage();
        page.setDefaultTimeout(10_000);
        await page.goto(`${session.server.baseUrl}/?token=${session.server.token}`);
        await page.getByRole('heading', { name: 'GPUs' }).waitFor();
        await page.goto(`${session.server.baseUrl}${path}`);
        await page.locator(cell, { hasText: text }).first().waitFor();
        const found = await page.evaluate(
          ({ header, cell, text }) => {
            const d = (globalThis as unknown as { document: Doc }).document;
            const th = d.querySelector(header)!;
            const link = [...d.querySelectorAll(cell)].find((a) => a.textContent?.trim() === text)!;
            const clippedHeaders = [...d.querySelectorAll('th')]
              .filter((h) => h.getBoundingClientRect().width > 0 && h.scrollWidth > h.clientWidth)
              .map((h) => h.textContent?.trim());
            const clippedButtons = [...d.querySelectorAll('main button, main th, main td a')]
              .filter((b) => b.getBoundingClientRect().width > 0 && b.scrollWidth > b.clientWidth + 1)
              .map((b) => b.textContent?.trim());
            return {
              clippedButtons,
              header: th.getBoundingClientRect().width,
              cut: link.scrollWidth > link.clientWidth,
              clippedHeaders,
              sideways: d.scrollingElement.scrollWidth > d.scrollingElement.clientWidth,
            };
          },
          { header, cell, text },
        );
        await shot(page, `600${path.replace('/', '-')}`);
        // Runs at 600 px: Name measured 0 px beside a 210 px Job column.
        expect(found.header).toBeGreaterThanOrEqual(120);
        expect(found.cut).toBe(false);
        expect(found.clippedHeaders).toEqual([]);
        expect(found.clippedButtons).toEqual([]);
        expect(found.sideways).toBe(false);
      } finally {
        await context.close();
      }
    });
  });

  it('scrolls a wide compare table inside its own box, never over the Strings beside it', async () => {
    const { page, server } = session;
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.baseUrl}/runs?run=${runIds[0]}&compare=${runIds.slice(1).join(',')}`);
    await page.locator('table.kv.compare th', { hasText: 'sweep-lr-39' }).waitFor({ state: 'attached' });
    await page.getByRole('heading', { name: /^Strings/ }).waitFor();
    const found = await page.evaluate(() => {
      const d = (globalThis as unknown as { document: Doc }).document;
      const table = d.querySelector('table.kv.compare')!;
      const column = table.closest('.side > div')!;
      const strings = [...d.querySelectorAll('h3')].find((h) => h.textContent?.trim().startsWith('Strings'))!;
      const host = d.querySelector('ty-runs-page')!;
      const s = strings.getBoundingClientRect();
      const atStrings = d.elementFromPoint(s.left + 5, s.top + 5);
      return {
        table: table.getBoundingClientRect().width,
        columnRight: column.getBoundingClientRect().right,
        scrollerRight: (table.closest('.kv-scroll') ?? table).getBoundingClientRect().right,
        stringsShown: !!atStrings && strings.contains(atStrings),
        pageSideways: host.scrollWidth > host.clientWidth,
      };
    });
    await shot(page, 'compare-40');
    expect(found.table).toBeGreaterThan(1000); // wide indeed: 40 runs
    expect(found.scrollerRight).toBeLessThanOrEqual(found.columnRight + 1);
    expect(found.stringsShown).toBe(true);
    expect(found.pageSideways).toBe(false);
  });

  it('says "1 point" for a one-point series, its value in few digits', async () => {
    const { page, server, api } = session;
    const { data } = await createRun({ client: api, body: { name: 'huge-values', project: 'odd' } });
    await logRun({
      client: api,
      path: { run_id: data.run_id },
      body: { metrics: [{ path: 'huge', step: 0, value: 1.3999999999999999e308 }], status: 'finished' },
    });
    await page.goto(`${server.baseUrl}/runs?run=${data.run_id}`);
    const summary = page.locator('ty-metric-chart').filter({ hasText: 'huge' }).locator('ul.legend li');
    await summary.first().waitFor({ state: 'attached' });
    expect(await summary.first().textContent()).toBe('huge-values: 1 point, last 1.4e+308 at step 0');
  });

  describe('Inference view', () => {
    const base = () => session.page.locator('#inf-base');

    it('tests a healthy /v1 server with no red error in the browser console', async () => {
      const { page, server } = session;
      await page.goto(`${server.baseUrl}/inference`);
      await page.getByRole('heading', { name: 'Inference' }).waitFor();
      consoleErrors.length = 0;
      await base().fill(`${llmUrl}/v1`);
      await base().press('Enter');
      await page.locator('.badge-ok', { hasText: 'reachable' }).waitFor();
      await page.getByText('5 models served: m-a, m-b, m-c, m-d, m-e').waitFor();
      expect(await page.locator('#inf-model').inputValue()).toBe('m-a');
      await page.waitForTimeout(300);
      // Asking /v1/health first logged "Failed to load resource: … 404" on every Test.
      expect(consoleErrors).toEqual([]);
    });

    it('forgets the old server’s models and model when the base URL changes', async () => {
      const { page } = session;
      await base().fill('http://127.0.0.1:1/v1');
      await base().press('Enter');
      await page.locator('.badge-danger', { hasText: 'unreachable' }).waitFor();
      await shot(page, 'inference-switched');
      expect(await page.getByText(/models? served/).count()).toBe(0);
      expect(await page.locator('#inf-model').inputValue()).toBe('');
      expect(await page.locator('.page-head, header').first().textContent()).not.toContain('m-a');
    });
  });

  it('opens a file in the editor with no ResizeObserver loop in the browser console', async () => {
    const { server } = session;
    const dir = join(temp.home, 'work');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'train.py');
    writeFileSync(file, Array.from({ length: 200 }, (_, i) => `print(${i})`).join('\n'));
    // A fresh page, as the trial opened it: Monaco loads while the view settles.
    const context = await session.browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      const errors: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${server.baseUrl}/?token=${server.token}`);
      await page.getByRole('heading', { name: 'GPUs' }).waitFor();
      await page.goto(`${server.baseUrl}/edit?path=${encodeURIComponent(file)}`);
      await waitFor(
        async () => ((await page.locator('.view-lines').first().textContent()) ?? '').includes('print(0)'),
        'the file in Monaco',
      );
      await page.waitForTimeout(3000);
      // Resizing the window lays the editor out again, still without a loop.
      await page.setViewportSize({ width: 1000, height: 700 });
      await waitFor(async () => {
        const editor = await page.locator('.monaco-editor').first().boundingBox();
        const body = await page.locator('.body').first().boundingBox();
        return Math.abs(editor!.width - body!.width) < 4;
      }, 'the editor laid out to the new width');
      await page.waitForTimeout(500);
      // The trial saw "ResizeObserver loop completed with undelivered notifications" six times.
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
