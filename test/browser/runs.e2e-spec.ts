import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Client,
  createRun,
  createTrainyardClient,
  controlJob,
  getJob,
  getRun,
  listRuns,
  logRun,
  setPassword,
  submitJob,
} from '@trainyard/sdk';
import { Browser, Page, Response } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { freePort } from '../support/ports';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { closeConsole } from './console-session';
import { CONSOLE_INDEX, ROOT, SCREENSHOTS, launchChromium } from './browser';

const CLIENT_DIR = join(ROOT, 'clients', 'python');
/** The page's document, as far as these tests read it (the test build has no DOM types). */
type PageDocument = { querySelector(s: string): { getAttribute(n: string): string | null } | null };

/**
 * A python3 job that logs `loss` with the tracking client: `points` points, `gap_s` apart. `gates`
 * (step → file path): before logging that step it waits for the file, so a test can see it running
 * with a partial chart, and the chart then grow, however slow the machine is.
 */
function lossScript(
  points: number,
  gapS: number,
  configs: Record<string, unknown> = {},
  gates: Record<number, string> = {},
): string {
  return [
    'import os, sys, time',
    `sys.path.insert(0, ${JSON.stringify(CLIENT_DIR)})`,
    'from trainyard_tracking import Run',
    `gates = {int(k): v for k, v in ${JSON.stringify(gates)}.items()}`,
    'with Run() as run:',
    `    run.log_configs(${JSON.stringify(configs)})`,
    `    for step in range(${points}):`,
    '        while step in gates and not os.path.exists(gates[step]):',
    '            time.sleep(0.05)',
    '        run.log_metrics({"loss": 2.0 / (step + 1)}, step=step)',
    `        time.sleep(${gapS})`,
  ].join('\n');
}

/**
 * Metric charts in Chromium against a real server: a job's Metrics tab grows live while its
 * python3 process logs, zooming re-reads the server at the zoomed step range, and the Runs view
 * overlays two runs on one chart. Also the bench figure: 10 runs × 1,000 points overlaid.
 */
describe('runs and metric charts (browser e2e)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let api: Client;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];

  const submit = async (name: string, script: string) => {
    const { data } = await submitJob({
      client: api,
      body: { job_type: 'command', name, requested_gpus: 0, job_params: { argv: ['python3', '-c', script] } },
    });
    return data.queue_id;
  };
  const status = async (id: string) => (await getJob({ client: api, path: { queue_id: id } })).data.status;
  const runOf = async (jobId: string) =>
    waitFor(
      async () => (await listRuns({ client: api, query: { job: jobId } })).data[0],
      `the run of ${jobId}`,
    );
  const lossChart = () => page.locator('ty-metric-chart').filter({ hasText: 'loss' }).first();
  const chartPoints = async () =>
    Number((await lossChart().locator('[data-points]').getAttribute('data-points')) ?? 0);

  /** The lines the loss chart's tooltip lists at its middle (a coloured marker, then a run's label). */
  const tooltipLines = async (count: number) => {
    const box = (await lossChart().locator('canvas').first().boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    return waitFor(async () => {
      const found = await lossChart().evaluate((chart) => {
        const tips = [...chart.querySelectorAll('div')].filter((d) => /^step \d/.test(d.textContent ?? ''));
        const tip = tips.at(-1); // the innermost: the tooltip itself
        return [...(tip?.querySelectorAll('span') ?? [])].map((marker) => ({
          name: marker.nextSibling?.textContent?.replace(/: [^:]*$/, ''),
          color: chart.ownerDocument.defaultView!.getComputedStyle(marker).backgroundColor,
        }));
      });
      return found.length === count ? found : undefined;
    }, 'the loss chart’s tooltip');
  };

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npx ng build first`);
    const port = await freePort();
    server = await spawnServer(temp.home, ['--port', String(port), '--fake-gpus', '1']);
    api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    await setPassword({ client: api, body: { new_password: 'correct horse battery' } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
  }, 60_000);

  afterAll(async () => {
    // Jobs outlive the server by design: closeConsole stops whatever is still queued or running.
    await closeConsole({ api, browser, server });
    temp.remove();
  });

  // ECharts faults surface as Angular's "ERROR …" console lines, not as page errors.
  afterEach(() => {
    const errors = [...pageErrors, ...consoleErrors];
    pageErrors.length = consoleErrors.length = 0;
    expect(errors).toEqual([]);
  });

  it('a live run’s charts open and refresh without errors', async () => {
    const { data } = await createRun({ client: api, body: { name: 'few-steps', project: 'ticks' } });
    // Three steps: ECharts would tick the axis at 0, 0.2, 0.4 … without minInterval.
    const metrics = [0, 1, 2].map((step) => ({ path: 'loss', step, value: 1 / (step + 1) }));
    await logRun({ client: api, path: { run_id: data.run_id }, body: { metrics } });
    await page.goto(`${server.baseUrl}/runs?run=${data.run_id}`);
    await waitFor(async () => (await chartPoints()) === 3, 'the chart');
    // The run is still running, so the chart re-reads every 2 s: let it do so twice.
    const rereads = () => page.waitForRequest((r) => r.url().includes(`/api/runs/${data.run_id}/metrics?`));
    await rereads();
    await rereads();
    // Looked at by hand: the x axis reads 0, 1, 2.
    await lossChart().screenshot({ path: join(SCREENSHOTS, 'runs-few-steps.png') });
  }, 60_000);

  it('on the dark theme the chart’s grid lines, axes and slider are dark too (not drawn for a white page)', async () => {
    // The few-steps run's chart is still open. Opaque near-white greys: what ECharts' own grid
    // lines and slider are (thousands of pixels); the console's light theme has them too.
    const brightGreys = () =>
      lossChart().evaluate((chart) => {
        const canvas = chart.querySelector('canvas')!;
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
          const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
          if (a > 200 && Math.min(r, g, b) > 180 && Math.max(r, g, b) - Math.min(r, g, b) < 40) count++;
        }
        return count;
      });
    try {
      await page.emulateMedia({ colorScheme: 'light' });
      await waitFor(async () => ((await brightGreys()) > 500 ? true : undefined), 'light grid lines');
      await page.emulateMedia({ colorScheme: 'dark' });
      // ECharts draws the slider's small grip white whatever the theme (~10 pixels): no more.
      await waitFor(async () => ((await brightGreys()) < 50 ? true : undefined), 'no light grid lines');
      await lossChart().screenshot({ path: join(SCREENSHOTS, 'runs-chart-dark.png') });
    } finally {
      await page.emulateMedia({ colorScheme: null });
    }
  }, 60_000);

  let earlierRun = '';
  let liveRun = '';

  it('a job’s Metrics tab charts its loss and the chart grows while the job logs; zoom re-queries the range', async () => {
    const earlier = await submit('earlier', lossScript(30, 0, { lr: 0.01, batch: 32 }));
    await waitFor(async () => (await status(earlier)) === 'done', 'the earlier job to finish', 60_000);
    earlierRun = (await runOf(earlier)).run_id;

    // Held at step 20 until the first points are seen, then at step 39 until the growth is.
    const [half, last] = [join(temp.home, 'live-half'), join(temp.home, 'live-last')];
    const live = await submit(
      'live',
      lossScript(40, 0.25, { lr: 0.001, batch: 32, warmup: 5 }, { 20: half, 39: last }),
    );
    await page.goto(`${server.baseUrl}/jobs/${live}`);
    await page.getByRole('tab', { name: 'Metrics' }).click();
    await waitFor(async () => (await chartPoints()) > 0, 'the first points on the chart', 20_000);
    const first = await chartPoints();
    expect(await status(live)).toBe('running');
    // More points arrive while the job still runs (the chart re-reads every 2 s).
    writeFileSync(half, '');
    await waitFor(async () => (await chartPoints()) > first, 'the chart to grow', 15_000);
    const grown = await chartPoints();
    expect(grown).toBeGreaterThan(first);
    expect(grown).toBeLessThan(40);
    expect(await status(live)).toBe('running');
    liveRun = (await runOf(live)).run_id;
    writeFileSync(last, '');
    // …and ends with every point once the run finishes (polling stops after that).
    await waitFor(async () => (await chartPoints()) === 40, 'all 40 points', 30_000);

    // Wheel over the plot → data zoom → the server is asked for that step range.
    const request = page.waitForRequest(
      (r) =>
        r.url().includes(`/api/runs/${liveRun}/metrics`) &&
        /step_min=\d+/.test(r.url()) &&
        /step_max=\d+/.test(r.url()),
    );
    const box = (await lossChart().locator('canvas').first().boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -400);
    const url = new URL((await request).url());
    const min = Number(url.searchParams.get('step_min'));
    const max = Number(url.searchParams.get('step_max'));
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(39);
    expect(max - min).toBeLessThan(39);
    await lossChart().getByRole('button', { name: 'Reset zoom' }).waitFor();
    await waitFor(async () => (await chartPoints()) === max - min + 1, 'the zoomed range on the chart');
    await page.screenshot({ path: join(SCREENSHOTS, 'runs-job-metrics.png') });
  }, 120_000);

  it('the Runs view lists both runs and overlays the ticked one on the open run’s charts', async () => {
    await page.goto(`${server.baseUrl}/runs`);
    await page.locator(`tr[data-run-id="${liveRun}"]`).getByRole('link', { name: 'live' }).click();
    await waitFor(async () => (await chartPoints()) === 40, 'the open run’s chart');
    await page.getByRole('checkbox', { name: 'Compare earlier' }).check();
    await waitFor(async () => (await chartPoints()) === 70, 'both runs on the chart');
    const legend = lossChart().locator('.legend li');
    await expect(legend.allTextContents()).resolves.toEqual([
      expect.stringMatching(/^live: 40 points/),
      expect.stringMatching(/^earlier: 30 points/),
    ]);
    expect(page.url()).toContain(`compare=${earlierRun}`);
    // Their configs side by side, a column each, the rows where they differ marked.
    const configs = page.getByRole('table', { name: 'Configs of the compared runs' });
    await configs.waitFor();
    const rows = await configs.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        cells: [...tr.children].map((c) => c.textContent?.trim()),
        differs: tr.classList.contains('differs'),
      })),
    );
    expect(await configs.locator('thead th').allTextContents()).toEqual(['live', 'earlier']);
    // Each run's strings under its name, the open one first (before: the open run's only).
    const strings = page.getByRole('heading', { level: 3, name: 'Strings', exact: true }).locator('..');
    await expect(strings.locator('h4.strings-of').allTextContents()).resolves.toEqual([
      expect.stringMatching(/^\s*live\s+\(last 0 of 0\)/),
      expect.stringMatching(/^\s*earlier\s+\(last 0 of 0\)/),
    ]);
    await logRun({
      client: api,
      path: { run_id: earlierRun },
      body: { strings: [{ path: 'note', step: 29, value: 'earlier says hello' }] },
    });
    await page.getByRole('checkbox', { name: 'Compare earlier' }).uncheck();
    await page.getByRole('checkbox', { name: 'Compare earlier' }).check();
    await strings.locator('pre', { hasText: 'note@29 earlier says hello' }).waitFor();
    await waitFor(async () => (await chartPoints()) === 70, 'both runs on the chart again');
    expect(rows).toEqual(
      expect.arrayContaining([
        { cells: ['lr', '0.001', '0.01'], differs: true },
        { cells: ['batch', '32', '32'], differs: false },
        { cells: ['warmup', '5', '—'], differs: true },
      ]),
    );

    // Zooming from the keyboard re-reads both runs at the middle half of the steps.
    const zoomed = (run: string) =>
      page.waitForRequest(
        (r) => r.url().includes(`/api/runs/${run}/metrics`) && r.url().includes('step_min='),
      );
    const both = Promise.all([zoomed(liveRun), zoomed(earlierRun)]);
    await page.getByRole('button', { name: 'Zoom in on loss' }).focus();
    await page.keyboard.press('Enter');
    const [a, b] = await both;
    expect(new URL(a.url()).searchParams.get('step_min')).toBe(new URL(b.url()).searchParams.get('step_min'));
    await waitFor(async () => (await chartPoints()) < 70, 'the zoomed range of both runs');
    await lossChart().getByRole('button', { name: 'Reset zoom' }).click();
    await waitFor(async () => (await chartPoints()) === 70, 'the whole range again');
    await page.screenshot({ path: join(SCREENSHOTS, 'runs-compare.png') });
    // At 800 px the chart still fits beside the sidebar.
    await page.setViewportSize({ width: 800, height: 700 });
    await waitFor(async () => {
      const box = await lossChart().boundingBox();
      return box !== null && box.x + box.width <= 800;
    }, 'the chart to fit at 800 px');
    await page.screenshot({ path: join(SCREENSHOTS, 'runs-compare-800.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('comparing three long-named runs: one shared legend in the charts’ colours, charts at least 440 px wide', async () => {
    // The names W&B users give runs: long, and alike but for the tail.
    const names = [
      'resnet50-imagenet-lr3e-4-bs256-cosine-warmup5-seed1',
      'resnet50-imagenet-lr3e-4-bs256-cosine-warmup5-seed2',
      'resnet50-imagenet-lr1e-3-bs512-onecycle-mixup-seed1',
    ];
    const ids: string[] = [];
    for (const [r, name] of names.entries()) {
      const { data } = await createRun({ client: api, body: { name, project: 'legend' } });
      const metrics = Array.from({ length: 20 }, (_, step) => [
        { path: 'loss', step, value: (r + 1) / (step + 1) },
        { path: 'accuracy', step, value: step / (20 + r) },
        { path: 'lr', step, value: 0.001 * (r + 1) },
      ]).flat();
      await logRun({ client: api, path: { run_id: data.run_id }, body: { metrics, status: 'finished' } });
      ids.push(data.run_id);
    }
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.goto(`${server.baseUrl}/runs?run=${ids[0]}&compare=${ids.slice(1).join(',')}`);
    await waitFor(async () => (await chartPoints()) === 60, 'the three runs on the loss chart');

    // One legend for all the charts, above them: every full name beside a swatch, none clipped.
    const legend = page.getByRole('list', { name: 'Runs' });
    const entries = await legend.getByRole('listitem').evaluateAll((items) =>
      items.map((li) => {
        const swatch = li.querySelector('.swatch')!;
        const label = li.querySelector('.label')!;
        return {
          name: label.textContent?.trim(),
          color: li.ownerDocument.defaultView!.getComputedStyle(swatch).backgroundColor,
          clipped: label.scrollWidth > label.clientWidth,
        };
      }),
    );
    expect(entries.map((e) => e.name)).toEqual(names);
    expect(entries.every((e) => !e.clipped)).toBe(true);
    const legendBox = (await legend.boundingBox())!;
    expect(legendBox.y + legendBox.height).toBeLessThanOrEqual((await lossChart().boundingBox())!.y);

    // The charts' own colours, from the loss chart's tooltip: a coloured marker before each run's name.
    const lines = await tooltipLines(names.length);
    expect(lines).toEqual(entries.map(({ name, color }) => ({ name, color })));
    expect(new Set(lines.map((l) => l.color)).size).toBe(names.length);
    await page.screenshot({ path: join(SCREENSHOTS, 'runs-compare-legend-1400.png') });

    // Wide enough to read: two charts a row at 1,400 px, none narrower than 440 px…
    const charts = () =>
      page.locator('ty-metric-chart').evaluateAll((els) =>
        els.map((el) => {
          const { x, width } = el.getBoundingClientRect();
          return { x, width, canvas: el.querySelector('canvas')?.getBoundingClientRect().width ?? 0 };
        }),
      );
    const wide = await charts();
    expect(wide).toHaveLength(3);
    expect(Math.min(...wide.map((c) => c.width))).toBeGreaterThanOrEqual(440);
    // …and one a row on a narrow screen, inside it, each redrawn to its card's width (less padding).
    await page.setViewportSize({ width: 800, height: 700 });
    await waitFor(async () => {
      const narrow = await charts();
      return narrow.every((c) => c.x === narrow[0].x && c.x + c.width <= 800 && c.canvas >= c.width - 24);
    }, 'one chart a row at 800 px');
    await page.screenshot({ path: join(SCREENSHOTS, 'runs-compare-legend-800.png') });
    // Only the charts' pane scrolls, never the page: wheeled past the charts' end, the console stays
    // in place. (Each chart's screen-reader legend lengthened the page, down to a blank window.)
    const root = page.locator('html'); // the page's own scroller (standards mode)
    expect(await root.evaluate((el: { scrollHeight: number }) => el.scrollHeight)).toBe(700);
    const overLegend = (await legend.boundingBox())!;
    await page.mouse.move(overLegend.x + 20, overLegend.y + overLegend.height / 2);
    for (let i = 0; i < 8; i++) await page.mouse.wheel(0, 800);
    await page.waitForTimeout(300); // let the wheel's scrolling settle
    expect(await root.evaluate((el: { scrollTop: number }) => el.scrollTop)).toBe(0);
    await page.setViewportSize({ width: 1280, height: 800 });
    expect([...pageErrors, ...consoleErrors]).toEqual([]);
  }, 60_000);

  it('comparing two runs of the same name (every run of a project config has one): both drawn, labelled by id', async () => {
    const ids: string[] = [];
    for (const r of [1, 2]) {
      const { data } = await createRun({ client: api, body: { name: 'My LM/train', project: 'same-name' } });
      const metrics = Array.from({ length: 10 }, (_, step) => ({
        path: 'loss',
        step,
        value: r / (step + 1),
      }));
      await logRun({ client: api, path: { run_id: data.run_id }, body: { metrics, status: 'finished' } });
      ids.push(data.run_id);
    }
    await page.goto(`${server.baseUrl}/runs?run=${ids[0]}&compare=${ids[1]}`);
    await waitFor(async () => (await chartPoints()) === 20, 'both runs on the loss chart');
    const labels = ids.map((id) => `My LM/train · ${id}`);
    await expect(
      page.getByRole('list', { name: 'Runs' }).locator('.label').allTextContents(),
    ).resolves.toEqual(labels);
    // Drawn: two lines in the tooltip (ECharts drew none, logging "id duplicates", when ids were labels).
    expect((await tooltipLines(2)).map((l) => l.name)).toEqual(labels);
    const configs = page.getByRole('table', { name: 'Configs of the compared runs' });
    await expect(configs.locator('thead th').allTextContents()).resolves.toEqual(labels);
  }, 60_000);

  it('deletes the open run after asking (its metrics go with it); a running job’s run cannot be deleted', async () => {
    const { data } = await createRun({ client: api, body: { name: 'throwaway', project: 'cleanup' } });
    const metrics = Array.from({ length: 5 }, (_, step) => ({ path: 'loss', step, value: step }));
    await logRun({ client: api, path: { run_id: data.run_id }, body: { metrics, status: 'finished' } });
    await page.goto(`${server.baseUrl}/runs?run=${data.run_id}`);
    await waitFor(async () => (await chartPoints()) === 5, 'its chart');
    await page.getByRole('button', { name: 'Delete run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete run throwaway?' });
    await dialog.getByRole('button', { name: 'Delete run' }).click();
    await waitFor(async () => !page.url().includes(data.run_id), 'the run to close');
    await page.locator(`tr[data-run-id="${data.run_id}"]`).waitFor({ state: 'detached' });
    expect(
      (await getRun({ client: api, path: { run_id: data.run_id }, throwOnError: false })).response.status,
    ).toBe(404);
    // A running job's run: the button is off (the server would answer 409: the job may still log).
    const sleeper = await submit('sleeper', 'import time; time.sleep(60)');
    await waitFor(async () => (await status(sleeper)) === 'running', 'the sleeper to run');
    await page.goto(`${server.baseUrl}/runs?run=${(await runOf(sleeper)).run_id}`);
    await waitFor(
      () => page.getByRole('button', { name: 'Delete run' }).isDisabled(),
      'a disabled Delete run',
    );
    await controlJob({ client: api, path: { queue_id: sleeper, action: 'kill' } });
  }, 60_000);

  it('a sweep’s 450 runs: the newest 200 read and drawn, "Show more" adds 200, a filter searches them all', async () => {
    const names: string[] = [];
    for (let i = 0; i < 450; i += 50) {
      const batch = Array.from({ length: 50 }, (_, k) => `sweep-${i + k}`);
      // Each logs its config, as a sweep's runs do (a run nothing was logged to is not listed by default).
      await Promise.all(
        batch.map(async (name) => {
          const { data } = await createRun({ client: api, body: { name, project: 'sweep' } });
          await logRun({ client: api, path: { run_id: data.run_id }, body: { configs: { lr: 0.1 } } });
        }),
      );
      names.push(...batch);
    }
    const total = (await listRuns({ client: api, query: { logged: true } })).data.length;
    expect(total).toBeGreaterThanOrEqual(450);
    const rows = page.locator('tr[data-run-id]');
    const more = page.locator('.more-row');
    // The view reads a page of runs, never the whole list (2 MB every 5 s at 10,000 runs).
    const listReads: Array<{ url: string; runs: number }> = [];
    const onResponse = async (response: Response) => {
      const path = new URL(response.url()).pathname;
      if (path === '/api/runs' || path === '/api/runs/page') {
        const body = (await response.json()) as unknown[] | { items: unknown[] };
        listReads.push({ url: response.url(), runs: Array.isArray(body) ? body.length : body.items.length });
      }
    };
    page.on('response', onResponse);
    await page.goto(`${server.baseUrl}/runs`);
    await more.getByText(`Showing 200 of ${total}`).waitFor();
    expect(await rows.count()).toBe(200);

    await more.getByRole('button', { name: 'Show more' }).click();
    await more.getByText(`Showing 400 of ${total}`).waitFor();
    expect(await rows.count()).toBe(400);

    // The filter reads every run, not only the drawn ones: sweep-7 is among the oldest.
    await page.getByRole('searchbox', { name: 'Filter runs by name or project' }).fill('sweep-7');
    await waitFor(async () => (await rows.count()) === 11 || undefined, 'sweep-7 and sweep-70…79');
    expect(await more.count()).toBe(0);
    expect((await rows.locator('td:nth-child(2)').allTextContents()).map((t) => t.trim()).sort()).toEqual(
      names.filter((n) => /^sweep-7\d?$/.test(n)).sort(),
    );
    // A new filter starts again from 200 rows.
    await page.getByRole('searchbox', { name: 'Filter runs by name or project' }).fill('sweep-');
    await more.getByText(`Showing 200 of 450`).waitFor();
    expect(await rows.count()).toBe(200);
    page.off('response', onResponse);
    expect(listReads.length).toBeGreaterThan(0);
    for (const read of listReads) {
      expect(new URL(read.url).pathname).toBe('/api/runs/page');
      expect(read.runs).toBeLessThanOrEqual(400);
    }
  }, 90_000);

  it("lists a run nothing was logged to (a plain command's) only when asked", async () => {
    const { data: idle } = await createRun({ client: api, body: { name: 'idle-run', project: 'idle' } });
    await page.goto(`${server.baseUrl}/runs`);
    const search = page.getByRole('searchbox', { name: 'Filter runs by name or project' });
    await search.fill('idle-run');
    await page.getByText('No runs match.').waitFor();
    await page.getByRole('checkbox', { name: 'Runs with nothing logged' }).check();
    await page.locator(`tr[data-run-id="${idle.run_id}"]`).waitFor();
    // Once something is logged to it, it is listed without asking.
    await logRun({
      client: api,
      path: { run_id: idle.run_id },
      body: { metrics: [{ path: 'loss', step: 0, value: 1 }] },
    });
    await page.getByRole('checkbox', { name: 'Runs with nothing logged' }).uncheck();
    await page.locator(`tr[data-run-id="${idle.run_id}"]`).waitFor();
  });

  it('bench: 10 overlaid runs × 1,000 points render and zoom interactively', async () => {
    const ids: string[] = [];
    for (let r = 0; r < 10; r++) {
      const { data } = await createRun({ client: api, body: { name: `bench-${r}`, project: 'bench' } });
      const metrics = Array.from({ length: 1000 }, (_, step) => ({
        path: 'loss',
        step,
        value: Math.exp(-step / 300) * (1 + r / 10) + 0.05 * Math.sin(step / 7 + r),
      }));
      await logRun({ client: api, path: { run_id: data.run_id }, body: { metrics, status: 'finished' } });
      ids.push(data.run_id);
    }
    const points = (n: number) =>
      page.waitForFunction(
        (want) =>
          (globalThis as unknown as { document: PageDocument }).document
            .querySelector('ty-metric-chart [data-points]')
            ?.getAttribute('data-points') === String(want),
        n,
        { polling: 'raf', timeout: 30_000 },
      );
    // Cold open: the console, the charts chunk, 10 series requests and the first draw.
    const t0 = Date.now();
    await page.goto(`${server.baseUrl}/runs?run=${ids[0]}&compare=${ids.slice(1).join(',')}`);
    await points(10_000);
    const renderMs = Date.now() - t0;

    const box = (await lossChart().locator('canvas').first().boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const t1 = Date.now();
    await page.mouse.wheel(0, -600);
    // The zoomed range comes back from the server and is drawn: fewer points than the whole.
    await page.waitForFunction(
      () =>
        Number(
          (globalThis as unknown as { document: PageDocument }).document
            .querySelector('ty-metric-chart [data-points]')
            ?.getAttribute('data-points'),
        ) < 10_000,
      undefined,
      { polling: 'raf', timeout: 30_000 },
    );
    const zoomMs = Date.now() - t1;
    // The zoom waits 250 ms for the wheel to settle before it asks the server; the rest is the
    // request and the redraw.
    console.log(
      `bench: 10 runs × 1,000 points: load + render ${renderMs} ms; zoom → re-query → redraw ${zoomMs} ms`,
    );
    expect(renderMs).toBeLessThan(10_000);
    expect(zoomMs).toBeLessThan(3_000);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
