import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addSearchRoot, getJob } from '@trainyard/sdk';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { ROOT, SCREENSHOTS } from './browser';
import { type ConsoleSession, closeConsole, openConsole } from './console-session';

const CLIENT_DIR = join(ROOT, 'clients', 'python');
const MAKE_GOODSEED_RUN = join(ROOT, 'test', 'fixtures', 'goodseed', 'make_run.py');
/** The override: 40 points, 0.25 s apart (~10 s), so the chart (re-read every 2 s) shows several partial states. */
const STEPS = 40;

/**
 * Files the script waits for: halfway (until the test has seen the first points) and before its last
 * step (until it has seen them grow, and checked the live view at both widths). So the job is still
 * running, its chart and log partial and then growing, for every check of the live view however slow
 * the machine is: the first CI run that found this test flaky had the job end before the 800 px check.
 */
const GATES = { [STEPS / 2]: 'release-half', [STEPS - 1]: 'release-last' };

/** The project's script: logs `loss` with the Python tracking client, one point every 0.25 s. */
const TRAIN_PY = [
  'import os, sys, time',
  `sys.path.insert(0, ${JSON.stringify(CLIENT_DIR)})`,
  'from trainyard_tracking import Run',
  'steps = int(sys.argv[1])',
  `gates = {int(k): v for k, v in ${JSON.stringify(GATES)}.items()}`,
  'with Run() as run:',
  '    for step in range(steps):',
  '        while step in gates and not os.path.exists(gates[step]):',
  '            time.sleep(0.05)',
  '        loss = 2.0 / (step + 1)',
  '        run.log_metrics({"loss": loss}, step=step)',
  '        print(f"step {step} loss {loss:.4f}", flush=True)',
  '        time.sleep(0.25)',
  '',
].join('\n');

/**
 * Issue 15's "Done when", end to end in Chromium against the built server: a new user's search root
 * holds a trainyard.yaml project; from the console they run its config with one overridden parameter,
 * and watch the job's loss curve (logged by the Python client) grow live beside its log (the job
 * pane's "Side by side" view); a goodseed run (the import fixture, server started with
 * --goodseed-dir) shows up in Runs and charts the same way.
 */
describe('projects: the "Done when" flow (browser e2e)', () => {
  const temp = makeTempHome();
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'ty-done-when-')));
  const root = join(work, 'research');
  const proj = join(root, 'tiny-lm');
  const goodseed = join(work, 'goodseed');
  let s: ConsoleSession;

  const row = (label: string) =>
    s.page
      .locator('ty-projects-page li[role="treeitem"]')
      .filter({ has: s.page.locator(`span.label:text-is("${label}")`) });
  const menuItem = (label: string) =>
    s.page.getByRole('menuitem').filter({ has: s.page.locator(`span:text-is("${label}")`) });
  const chartPoints = async (path: string) => {
    const chart = s.page.locator(`figure[aria-label="${path} chart"] [data-points]`).first();
    return (await chart.count()) ? Number((await chart.getAttribute('data-points')) ?? 0) : 0;
  };

  /** The highest step the log pane shows right now (only its visible rows are in the DOM). */
  const lastLogStep = async () => {
    const text = (await s.page.locator('.log-term .xterm-rows').textContent()) ?? '';
    return Math.max(-1, ...[...text.matchAll(/step (\d+) loss/g)].map((m) => Number(m[1])));
  };
  /** The log and the loss chart are both wholly in the viewport at once: side by side or stacked. */
  const expectBothInView = async (layout: 'side by side' | 'stacked') => {
    const viewport = s.page.viewportSize()!;
    await s.page.screenshot({ path: join(SCREENSHOTS, `done-when-${layout.replace(/ /g, '-')}.png`) });
    const log = (await s.page.locator('.log-term').boundingBox())!;
    const plot = (await s.page
      .locator('figure[aria-label="loss chart"] [data-points]')
      .first()
      .boundingBox())!;
    for (const box of [log, plot]) {
      expect(box.width).toBeGreaterThan(100);
      expect(box.height).toBeGreaterThan(40);
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(viewport.width + 1);
      expect(box.y + box.height).toBeLessThanOrEqual(viewport.height + 1);
    }
    if (layout === 'side by side') expect(plot.x).toBeGreaterThanOrEqual(log.x + log.width - 1);
    else expect(plot.y).toBeGreaterThanOrEqual(log.y + log.height - 1);
  };

  beforeAll(async () => {
    mkdirSync(proj, { recursive: true });
    writeFileSync(join(proj, 'train.py'), TRAIN_PY);
    writeFileSync(join(proj, 'README.md'), '# Tiny LM\n\nLogs a loss curve.\n');
    writeFileSync(
      join(proj, 'trainyard.yaml'),
      [
        'name: Tiny LM',
        'configs:',
        '  - name: train',
        '    job_type: command',
        '    gpus: 0',
        "    argv: [python3, train.py, '{steps}']",
        '    params:',
        '      - { name: steps, type: integer, default: 8, help: Steps to log }',
        '',
      ].join('\n'),
    );
    execFileSync('python3', [MAKE_GOODSEED_RUN, goodseed, 'gsproj', 'bold-falcon', '100']);
    s = await openConsole(temp.home, ['--goodseed-dir', goodseed]);
    await addSearchRoot({ client: s.api, body: { path: root } });
  }, 60_000);

  afterAll(async () => {
    await closeConsole(s);
    temp.remove();
    rmSync(work, { recursive: true, force: true });
  });

  afterEach(() => expect(s.pageErrors).toEqual([]));

  it('runs the config with an override and watches its loss chart grow live beside its log', async () => {
    const { page } = s;
    await page.getByRole('link', { name: 'Projects' }).click();
    await row('Tiny LM').click();
    await row('train').click({ button: 'right' });
    await menuItem('Run…').click();
    const dialog = page.getByRole('dialog', { name: 'Run Tiny LM / train' });
    await dialog.getByLabel('steps (integer)').fill(String(STEPS));
    await dialog.getByRole('button', { name: 'Run' }).click();
    await page.waitForURL(/\/jobs\/[^/?]+$/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const job = async () => (await getJob({ client: s.api, path: { queue_id: id } })).data;
    expect(await job()).toMatchObject({
      cwd: proj,
      job_params: { argv: ['python3', 'train.py', String(STEPS)] },
    });

    // The log shows the script's lines while it runs…
    await page.locator('.log-term .xterm-rows', { hasText: 'step 1 loss' }).waitFor();
    // …and "Side by side" puts the loss chart (logged by the client) beside it, both growing live.
    await page.getByRole('tab', { name: 'Side by side' }).click();
    // Give the job pane most of the height (the table above has one row): the divider, by keyboard.
    const divider = page.getByRole('separator', { name: 'Resize the log pane' });
    await divider.focus();
    for (let i = 0; i < 3; i++) await divider.press('Shift+ArrowUp');
    await waitFor(async () => (await chartPoints('loss')) > 0, 'the first loss points', 15_000);
    const first = await chartPoints('loss');
    const firstLine = await lastLogStep();
    expect((await job()).status).toBe('running');
    await expectBothInView('side by side');
    // Two partial states seen one after the other: the chart grew while the run was writing, and the
    // log beside it (following) showed newer lines meanwhile.
    writeFileSync(join(proj, GATES[STEPS / 2]), '');
    const grown = await waitFor(
      async () => {
        const n = await chartPoints('loss');
        return n > first ? n : undefined;
      },
      'the loss chart to grow',
      10_000,
    );
    await waitFor(async () => (await lastLogStep()) > firstLine, 'newer log lines beside the chart', 10_000);
    expect([first, grown].every((n) => n < STEPS)).toBe(true);
    await expectBothInView('side by side');
    // At 800 px the pane stacks them: log on top, chart below, still both in view.
    await page.setViewportSize({ width: 800, height: 800 });
    await expectBothInView('stacked');
    // The facts above keep a readable start of the cwd (not squeezed to "cw" at the line's end).
    expect((await page.locator('.facts dd[title="' + proj + '"]').boundingBox())!.width).toBeGreaterThan(150);
    await page.setViewportSize({ width: 1280, height: 800 });
    expect((await job()).status).toBe('running');
    writeFileSync(join(proj, GATES[STEPS - 1]), '');
    // Every overridden step ends on the chart (the default would have made 8), and the log has them all.
    await waitFor(async () => (await chartPoints('loss')) === STEPS, `all ${STEPS} points`, 15_000);
    await page.locator('.log-term .xterm-rows', { hasText: `step ${STEPS - 1} loss` }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'done-when-job-metrics.png') });
    // The choice is remembered: the job pane opens side by side after a reload.
    await page.reload();
    await page.getByRole('tab', { name: 'Side by side', selected: true }).waitFor();
    await page.locator('.log-term').waitFor();
    await waitFor(async () => (await chartPoints('loss')) === STEPS, 'the chart after a reload', 15_000);
    await waitFor(async () => (await job()).status === 'done', 'the job to finish', 10_000);
    // Ended, the facts say more (ended, reason, exit) and wrap further: both still fit at 800 px.
    await page.locator('.facts dt', { hasText: 'reason' }).waitFor();
    await page.setViewportSize({ width: 800, height: 800 });
    await expectBothInView('stacked');
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 60_000);

  it('shows the goodseed run in Runs and charts its loss', async () => {
    const { page } = s;
    // The width this test was written for, whatever the test before it left behind.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('link', { name: 'Runs' }).click();
    const gsRow = page.locator('tr[data-run-id]', { hasText: 'gs-exp' });
    await gsRow.getByRole('cell', { name: 'goodseed', exact: true }).waitFor();
    await gsRow.getByRole('link', { name: 'gs-exp' }).click();
    // The fixture's 100 points (y = step, step 3 NaN) chart like a native run's.
    await waitFor(async () => (await chartPoints('train/loss')) >= 99, 'the goodseed loss chart', 10_000);
    await page.screenshot({ path: join(SCREENSHOTS, 'done-when-goodseed.png') });
  }, 30_000);
});
