import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Client,
  cancelQueueItem,
  controlJob,
  createTrainyardClient,
  setPassword,
  getHealth,
  getJob,
  listGpus,
  listJobs,
  listQueue,
  setGpuPolicy,
  setScheduler,
  submitJob,
} from '@trainyard/sdk';
import { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { SpawnedServer, spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { closeConsole } from './console-session';
import { CONSOLE_INDEX, SCREENSHOTS, launchChromium } from './browser';

/**
 * The console's views against the built server with four fake GPUs: live GPU cards, the submit
 * dialog, the jobs table with its terminal pane, the queue, and what happens when the session ends.
 */
describe('console views (browser e2e, --fake-gpus 4)', () => {
  const temp = makeTempHome();
  let server: SpawnedServer;
  let api: Client;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  const card = (index: number) => page.locator(`ty-gpu-card[data-gpu="${index}"]`);
  const jobRow = (id: string) => page.locator(`tr[data-job-id="${id}"]`);
  const queueRow = (id: string) => page.locator(`tr[data-queue-id="${id}"]`);
  const command = async (argv: string[], extra: { name?: string; requested_gpus?: number } = {}) =>
    (
      await submitJob({
        client: api,
        body: {
          job_type: 'command',
          requested_gpus: extra.requested_gpus ?? 0,
          job_params: { argv },
          name: extra.name,
        },
      })
    ).data;
  const jobStatus = async (id: string) => (await getJob({ client: api, path: { queue_id: id } })).data.status;
  const textOf = async (locator: Locator) => ((await locator.textContent()) ?? '').trim();

  beforeAll(async () => {
    if (!existsSync(CONSOLE_INDEX)) throw new Error(`${CONSOLE_INDEX} is missing: run npm run build first`);
    server = await spawnServer(temp.home, ['--fake-gpus', '4']);
    api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    // With a password set, the token link signs in straight to the console (reloads included).
    await setPassword({ client: api, body: { new_password: 'correct horse battery' } });
    browser = await launchChromium();
    context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 720 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));

    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await page.getByRole('heading', { name: 'GPUs' }).waitFor();
  });

  afterAll(async () => {
    // Jobs outlive the server by design: closeConsole stops whatever is still queued or running.
    await closeConsole({ api, browser, context, server });
    temp.remove();
  });

  afterEach(() => expect(pageErrors).toEqual([]));

  it('shows a live card per GPU and disables GPU 0 with its switch', async () => {
    await page
      .getByRole('status')
      .filter({ hasText: /^\s*Live/ })
      .waitFor();
    expect(await page.locator('ty-gpu-card').count()).toBe(4);
    expect(await textOf(card(0).locator('.badges'))).toContain('Idle');

    await card(0).getByRole('switch').click();
    await card(0).getByText('Disabled', { exact: true }).waitFor();
    expect(await card(0).getByRole('switch').getAttribute('aria-checked')).toBe('false');
    await page.getByRole('status').filter({ hasText: 'GPU 0 disabled' }).first().waitFor();
    const gpus = (await listGpus({ client: api })).data.gpus;
    expect(gpus.map((g) => g.disabled)).toEqual([true, false, false, false]);
    expect(await card(0).evaluate((el) => el.classList.contains('disabled'))).toBe(true);
  });

  it('gates a GPU by priority from its context menu (keyboard ⋯ button)', async () => {
    await card(2).getByRole('button', { name: 'Actions for GPU 2' }).click();
    await page.getByRole('menu').getByRole('menuitem', { name: 'Set minimum priority…' }).click();
    // A text field: "e" is refused by name instead of being read as 0.
    const input = page.getByRole('textbox', { name: 'Minimum priority' });
    await input.fill('e');
    await page.getByRole('button', { name: 'Set', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'A whole number' }).waitFor();
    expect((await listGpus({ client: api })).data.gpus[2].min_priority).toBe(null);
    await input.fill('10');
    await page.getByRole('button', { name: 'Set', exact: true }).click();
    await card(2).getByText('Priority ≥ 10').waitFor();

    await card(2).click({ button: 'right', position: { x: 150, y: 120 } });
    await page.getByRole('menuitem', { name: /Clear priority gate/ }).click();
    await waitFor(
      async () => !(await card(2).getByText('Priority ≥ 10').isVisible()),
      'the gate badge to go',
    );
    expect((await listGpus({ client: api })).data.gpus[2].min_priority).toBe(null);
  });

  it('places a job around the disabled GPU and names it on the card of the GPU it holds', async () => {
    const job = await command(['sleep', '60'], { name: 'gpu-holder', requested_gpus: 1 });
    // GPU 0 is disabled: best fit picks the next eligible one.
    await card(1).locator('.proc .job', { hasText: 'gpu-holder' }).first().waitFor();
    expect(await card(1).locator('.badges').textContent()).toContain('Reserved · gpu-holder');
    expect((await getJob({ client: api, path: { queue_id: job.queue_id } })).data.gpu_indices).toEqual([1]);
    await shot('gpus');

    await page.keyboard.press('g');
    await page.keyboard.press('j');
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await jobRow(job.queue_id).locator('.gpus').filter({ hasText: '#1' }).waitFor();
    expect(await textOf(jobRow(job.queue_id).locator('.gpus'))).toBe('#1');
  });

  it('kills a running job from its row and shows it end as aborted', async () => {
    const [holder] = (await listJobs({ client: api, query: { status: 'running' } })).data.items;
    const row = jobRow(holder.queue_id);
    await row.getByRole('button', { name: 'Kill gpu-holder' }).click();
    await page
      .getByRole('dialog', { name: 'Kill gpu-holder?' })
      .getByRole('button', { name: 'Kill job' })
      .click();
    await row.locator('.status-aborted').waitFor();
    expect(await jobStatus(holder.queue_id)).toBe('aborted');
    await row.getByRole('button', { name: 'Delete gpu-holder' }).waitFor();
  });

  it("shows a job type's parameters as parameters, not behind a shell prompt as if they were its command", async () => {
    const { data } = await submitJob({
      client: api,
      body: {
        job_type: 'training',
        requested_gpus: 0,
        job_params: { script: '/nowhere/train.py' },
        cwd: temp.home,
      },
    });
    await jobRow(data.queue_id).click({ position: { x: 500, y: 10 } });
    const line = page.locator('.cmdline:not(.built)');
    await line.filter({ hasText: 'script=/nowhere/train.py' }).waitFor();
    // Before: "$ script=/nowhere/train.py torchrun=torchrun", read as the command that failed.
    expect((await line.textContent())!.trim()).toMatch(/^training: script=\/nowhere\/train\.py/);
    // Under it, once started, the command line it built: what ran (here torchrun, which is not installed).
    const built = page.locator('.cmdline.built');
    await built.waitFor();
    expect((await built.textContent())!.trim()).toBe(
      '$ torchrun --standalone --nproc-per-node 1 /nowhere/train.py',
    );
    // The pane closed again: the next test reads the job it submits from the URL.
    await page.keyboard.press('Escape');
    await page.waitForURL((url) => url.pathname === '/jobs');
  });

  it('submits a command job through the dialog and streams its coloured output', async () => {
    await page.keyboard.press('n');
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await dialog.waitFor();
    await dialog.getByLabel('Job type').selectOption('command');
    await dialog
      .getByLabel('argv *')
      .fill(['sh', '-c', 'printf "\\033[32mgreen\\033[0m\\n"; sleep 1; echo done'].join('\n'));
    await dialog.getByLabel('Name').fill('green-job');
    await dialog.getByLabel('GPUs').fill('0');
    await shot('submit-dialog');
    await dialog.getByRole('button', { name: 'Submit' }).click();

    await page.waitForURL(/\/jobs\/q_/);
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
    const green = page.locator('.log-term .xterm-rows span.xterm-fg-2', { hasText: 'green' });
    await green.waitFor();
    // Theme green, not the default foreground.
    const color = await page.evaluate(
      "getComputedStyle(document.querySelector('.log-term .xterm-rows span.xterm-fg-2')).color",
    );
    expect(color).toBe('rgb(124, 207, 115)');
    await page.locator('.log-term .xterm-rows', { hasText: 'done' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Ended: done (exit 0)' }).waitFor();
    await jobRow(id).locator('.status-done').waitFor();
    expect(await jobStatus(id)).toBe('done');
    await shot('jobs-log');
  });

  it('remembers the last values per job type and shows server validation errors next to the field', async () => {
    await page.getByRole('button', { name: 'New job' }).click();
    const dialog = page.getByRole('dialog', { name: 'New job' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('Name').inputValue()).toBe('green-job');
    expect(await dialog.getByLabel('argv *').inputValue()).toContain('printf');

    await dialog.getByLabel('GPUs').fill('5000'); // the server allows at most 1024
    await dialog.getByRole('button', { name: 'Submit' }).click();
    const hint = dialog.locator('#submit-gpus-hint.bad');
    await hint.waitFor();
    expect(await hint.textContent()).toMatch(/1024/);
    expect(await dialog.getByLabel('GPUs').getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('alert').filter({ hasText: /1024/ }).first().waitFor();
    await shot('submit-validation');

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  it('redraws \\r progress bars in place, finds text in the log and offers row actions on right-click', async () => {
    const job = await command(
      [
        'sh',
        '-c',
        'for i in 1 2 3 4; do printf "\\rprogress %d/4" $i; sleep 0.2; done; echo; echo "needle in the log"',
      ],
      { name: 'progress-bar' },
    );
    await page.goto(`${server.baseUrl}/jobs/${job.queue_id}`);
    const rows = page.locator('.log-term .xterm-rows');
    await rows.filter({ hasText: 'needle in the log' }).waitFor();
    const text = await rows.textContent();
    expect(text).toContain('progress 4/4');
    expect(text).not.toContain('progress 1/4');

    await page.getByLabel('Find in log').fill('needle');
    await page.locator('.log-count').filter({ hasText: '1 / 1' }).waitFor();
    // Looking at a match stops following; the button turns it back on.
    const follow = page.getByRole('button', { name: 'Follow' });
    await page.locator('button[aria-pressed="false"]', { hasText: 'Follow' }).waitFor();
    await follow.click();
    await page.locator('button[aria-pressed="true"]', { hasText: 'Follow' }).waitFor();

    await jobRow(job.queue_id).click({ button: 'right', position: { x: 600, y: 10 } });
    const menu = page.getByRole('menu', { name: 'progress-bar' });
    await menu.getByRole('menuitem', { name: 'Delete job and log…' }).waitFor();
    await shot('jobs-context-menu');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
  });

  it('keeps a text selection in view while output streams in', async () => {
    // 30 lines, then nothing until the test says go (a file), then 270 more.
    const script = [
      'for i in $(seq 1 30); do echo "line $i"; done',
      'while [ ! -e go ]; do sleep 0.05; done',
      'for i in $(seq 31 300); do echo "line $i"; sleep 0.005; done',
    ].join('; ');
    const { data: job } = await submitJob({
      client: api,
      body: {
        job_type: 'command',
        requested_gpus: 0,
        name: 'chatty',
        cwd: temp.home,
        job_params: { argv: ['sh', '-c', script] },
      },
    });
    await page.goto(`${server.baseUrl}/jobs/${job.queue_id}`);
    const rows = page.locator('.log-term .xterm-rows');
    await rows.filter({ hasText: 'line 30' }).waitFor();
    const box = await page.locator('.log-term').boundingBox();
    if (!box) throw new Error('no terminal on screen');
    await page.mouse.move(box.x + 20, box.y + 30);
    await page.mouse.down();
    await page.mouse.move(box.x + 260, box.y + 70, { steps: 4 });
    await page.mouse.up();
    const firstRow = rows.locator('> div').first();
    // The pane grows while the view is held at the end (on a slow machine the job's facts above can
    // lose a line about now): the view cannot keep its top line there, so it holds what it shows.
    const termRows = () => rows.locator('> div').count();
    const selected = () => page.locator('.log-term .xterm-selection div').count();
    const atStart = await termRows();
    const divider = page.getByRole('separator', { name: 'Resize the log pane' });
    await divider.focus();
    await divider.press('Shift+ArrowUp');
    await waitFor(async () => (await termRows()) > atStart, 'the log pane to grow');
    await waitFor(async () => (await selected()) > 0, 'the selection kept', 2_000);
    const held = await textOf(firstRow);
    writeFileSync(join(temp.home, 'go'), '');

    // All the output later, the view (and the highlighted selection) has not moved.
    await page.getByRole('status').filter({ hasText: 'Ended: done' }).waitFor({ timeout: 20_000 });
    expect(await textOf(firstRow)).toBe(held);
    expect(await page.locator('.log-term .xterm-selection div').count()).toBeGreaterThan(0);
    await page.locator('button[aria-pressed="false"]', { hasText: 'Follow' }).waitFor();

    // Resizing the log pane keeps both, growing or shrinking (here the divider; the same goes for the
    // window, or the job's facts above gaining a line as it ends): xterm drops a selection when its
    // rows change, and moves a held view a line.
    await divider.focus();
    for (const [key, gained] of [
      ['Shift+ArrowDown', false],
      ['Shift+ArrowUp', true],
    ] as const) {
      const before = await termRows();
      await divider.press(key);
      await waitFor(
        async () => (gained ? (await termRows()) > before : (await termRows()) < before),
        `the log pane resized (${key})`,
      );
      // (The terminal fits itself and redraws a frame or two after its box changes.)
      await waitFor(
        async () => (await textOf(firstRow)) === held && (await selected()) > 0,
        `the same first line (${held}) and the selection after the resize (${key})`,
        2_000,
      );
    }

    // Follow jumps to the end.
    await page.getByRole('button', { name: 'Follow' }).click();
    await rows.filter({ hasText: 'line 300' }).waitFor();
  });

  it('lets the log pane be resized and remembers the size', async () => {
    const divider = page.getByRole('separator', { name: 'Resize the log pane' });
    const before = Number(await divider.getAttribute('aria-valuenow'));
    await divider.focus();
    await page.keyboard.press('Shift+ArrowDown');
    const after = await waitFor(async () => {
      const now = Number(await divider.getAttribute('aria-valuenow'));
      return now > before ? now : undefined;
    }, 'the pane to grow');
    const stored = Number(await page.evaluate("localStorage.getItem('trainyard.jobs.split')"));
    expect(stored).toBeCloseTo(after / 100, 2);
  });

  it('filters the jobs table by status and text', async () => {
    await page
      .getByRole('group', { name: 'Filter by status' })
      .getByRole('button', { name: 'Aborted' })
      .click();
    await page.locator('tbody .status-aborted').first().waitFor();
    await waitFor(
      async () => (await page.locator('tbody .status-done').count()) === 0,
      'done jobs to be filtered out',
    );
    await page.getByRole('group', { name: 'Filter by status' }).getByRole('button', { name: 'All' }).click();
    await page.getByLabel('Search jobs').fill('green');
    await waitFor(
      async () => (await page.locator('tbody tr[data-job-id]').count()) === 1,
      'one matching job',
    );
    await page.getByLabel('Search jobs').fill('');
  });

  it('cancels a queued item while the scheduler is paused', async () => {
    await page.getByRole('button', { name: 'Scheduler running' }).click();
    await page.getByRole('button', { name: 'Scheduler paused' }).waitFor();
    const first = await command(['sleep', '5'], { name: 'waits-1', requested_gpus: 2 });
    const second = await command(['sleep', '5'], { name: 'waits-2' });

    await page.keyboard.press('g');
    await page.keyboard.press('q');
    await page.getByRole('heading', { name: 'Queue' }).waitFor();
    await queueRow(first.queue_id).getByText('scheduler is paused').waitFor();
    await queueRow(second.queue_id).waitFor();
    await shot('queue');

    // One click only asks: dismissing the question leaves the item queued.
    await queueRow(first.queue_id).getByRole('button', { name: 'Cancel waits-1' }).click();
    const ask = page.getByRole('dialog', { name: 'Remove waits-1 from the queue?' });
    await ask.getByRole('button', { name: 'Keep', exact: true }).click();
    await ask.waitFor({ state: 'detached' });
    expect((await listQueue({ client: api })).data.items.map((i) => i.queue_id)).toContain(first.queue_id);

    await queueRow(first.queue_id).getByRole('button', { name: 'Cancel waits-1' }).click();
    await ask.getByRole('button', { name: 'Remove from queue' }).click();
    await queueRow(first.queue_id).waitFor({ state: 'detached' });
    expect((await listQueue({ client: api })).data.items.map((i) => i.queue_id)).toEqual([second.queue_id]);

    await page.getByRole('button', { name: 'Resume scheduler' }).first().click();
    await queueRow(second.queue_id).waitFor({ state: 'detached' });
    await page.getByText('The queue is empty').waitFor();
  });

  it('links the job a pending item waits for, from its reason to that job', async () => {
    const holder = await command(['sleep', '30'], { name: 'holder', requested_gpus: 1 });
    await waitFor(async () => (await jobStatus(holder.queue_id)) === 'running', 'the holder to run');
    const waiter = await command(['sleep', '5'], { name: 'waiter', requested_gpus: 4 });

    await page.goto(`${server.baseUrl}/queue`);
    const link = queueRow(waiter.queue_id).getByRole('link', { name: holder.queue_id.split('_').pop() });
    await link.click();
    await page.waitForURL(`${server.baseUrl}/jobs/${holder.queue_id}`);
    await page.getByRole('region', { name: 'Job holder' }).waitFor();

    await cancelQueueItem({ client: api, path: { queue_id: waiter.queue_id } });
    await controlJob({ client: api, path: { queue_id: holder.queue_id, action: 'kill' } });
    // The next test expects the GPU back: wait for the holder to end and release it.
    await waitFor(async () => (await jobStatus(holder.queue_id)) === 'aborted', 'the holder to end');
  });

  it('on a phone (390 px): the queue keeps the whole reason, the jobs their names and how they ended, the pane every button', async () => {
    const holder = await command(['sleep', '30'], { name: 'phone-holder', requested_gpus: 1 });
    await waitFor(async () => (await jobStatus(holder.queue_id)) === 'running', 'the holder to run');
    const waiter = await command(['sleep', '5'], { name: 'phone-waiter', requested_gpus: 4 });
    const failed = await command(['sh', '-c', 'exit 3'], { name: 'phone-failed' });
    await waitFor(async () => (await jobStatus(failed.queue_id)) === 'failed', 'the failure');
    const onScreen = async (locator: Locator) => {
      const box = (await locator.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
      return box;
    };
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${server.baseUrl}/queue`);
      // The reason under the name, lines of words (in its own column it had no width: a character
      // per line).
      const reason = queueRow(waiter.queue_id).locator('.narrow-reason');
      await reason.getByText(/needs 4 GPUs/).waitFor();
      const box = await onScreen(reason);
      expect(box.width).toBeGreaterThan(120);
      expect(box.height).toBeLessThan(120);
      await onScreen(queueRow(waiter.queue_id).getByRole('button', { name: 'Cancel phone-waiter' }));
      await shot('queue-phone');

      await page.goto(`${server.baseUrl}/jobs`);
      const row = jobRow(failed.queue_id);
      expect((await onScreen(row.getByRole('link', { name: 'phone-failed' }))).width).toBeGreaterThan(60);
      expect(await textOf(row.locator('.narrow-end'))).toBe('exit 3 · exited with code 3');
      await onScreen(row.getByRole('button', { name: 'More actions for phone-failed' }));
      await row.click({ position: { x: 200, y: 8 } });
      const pane = page.getByRole('region', { name: 'Job phone-failed' });
      await pane.waitFor();
      for (const name of ['Resubmit…', 'Delete', 'More actions for phone-failed', 'Close the log pane'])
        await onScreen(pane.getByRole('button', { name, exact: true }));
      await shot('jobs-phone');
    } finally {
      await page.setViewportSize({ width: 1280, height: 720 });
      await cancelQueueItem({ client: api, path: { queue_id: waiter.queue_id } });
      await controlJob({ client: api, path: { queue_id: holder.queue_id, action: 'kill' } });
      await waitFor(async () => (await jobStatus(holder.queue_id)) === 'aborted', 'the holder to end');
    }
  });

  it('lists each process and its job before killing everything on a GPU', async () => {
    const job = await command(['sleep', '60'], { name: 'victim', requested_gpus: 1 });
    await page.keyboard.press('g');
    await page.keyboard.press('g');
    // The job's processes (its `script` wrapper, shell and sleep) all name it.
    await card(1).locator('.proc .job', { hasText: 'victim' }).first().waitFor();
    await card(1).getByRole('button', { name: 'Actions for GPU 1' }).click();
    await page.getByRole('menuitem', { name: /Kill all processes/ }).click();
    const confirm = page.getByRole('dialog', { name: 'Kill every process on GPU 1?' });
    await confirm.waitFor();
    const rows = confirm.locator('tbody tr');
    expect(await rows.count()).toBeGreaterThan(0);
    // Every process on the GPU is listed with its pid (another test run's leftovers would be too).
    const texts = await rows.allTextContents();
    expect(texts.every((t) => /^\d+/.test(t))).toBe(true);
    expect(texts.filter((t) => /victim \(/.test(t)).length).toBeGreaterThan(0);
    expect(await confirm.textContent()).toContain('force-killed as a whole and ends aborted (user_kill)');
    await shot('gpu-kill-confirm');
    await confirm.getByRole('button', { name: /^Kill \d+ process/ }).click();
    // The job was on the GPU: the toast names it (it said "no processes to kill": a trial).
    const short = job.queue_id.split('_').pop()!;
    await page
      .getByRole('status')
      .filter({ hasText: `GPU 1: job victim (${short}) force-killed (it ends aborted, user_kill)` })
      .waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'GPU 1: no processes' }).count()).toBe(0);
    await waitFor(
      async () => (await jobStatus(job.queue_id)) === 'aborted' || undefined,
      'the job to end aborted',
      15_000,
    );
    await card(1).getByText('No processes').waitFor();
  });

  it('offers trainer actions only once the trainer has published its endpoint, and forwards them', async () => {
    const plain = await command(['sleep', '30'], { name: 'no-trainer' });
    await page.goto(`${server.baseUrl}/jobs/${plain.queue_id}`);
    const plainPane = page.getByRole('region', { name: 'Job no-trainer' });
    await plainPane.getByRole('button', { name: 'Kill', exact: true }).waitFor();
    expect(await plainPane.getByRole('button', { name: 'Save', exact: true }).count()).toBe(0);
    await plainPane.getByRole('button', { name: 'Kill', exact: true }).click();
    await page
      .getByRole('dialog', { name: 'Kill no-trainer?' })
      .getByRole('button', { name: 'Kill job' })
      .click();
    await jobRow(plain.queue_id).locator('.status-aborted').waitFor();

    const trainer = await command(
      [process.execPath, join(__dirname, '..', 'fixtures', 'trainer', 'fake-trainer.js')],
      {
        name: 'with-trainer',
      },
    );
    await page.goto(`${server.baseUrl}/jobs/${trainer.queue_id}`);
    const pane = page.getByRole('region', { name: 'Job with-trainer' });
    await pane.getByRole('button', { name: 'Save', exact: true }).click({ timeout: 15_000 });
    expect(await pane.getByRole('button', { name: 'Abort', exact: true }).isVisible()).toBe(true);
    await page
      .getByRole('status')
      .filter({ hasText: /checkpoint requested/i })
      .first()
      .waitFor();
    await pane.getByRole('button', { name: 'Stop', exact: true }).click();
    await jobRow(trainer.queue_id).locator('.status-done').waitFor({ timeout: 15_000 });
  });

  it('follows job changes over the jobs stream: a job submitted elsewhere appears and ends in the table', async () => {
    const socket = page.waitForEvent('websocket', (ws) => ws.url().includes('/api/jobs/stream'));
    await page.goto(`${server.baseUrl}/jobs`);
    await socket;
    const job = await command(['sh', '-c', 'sleep 0.5'], { name: 'from-elsewhere' });
    await jobRow(job.queue_id).waitFor();
    await jobRow(job.queue_id).locator('.status-done').waitFor();
  });

  it('shows the keyboard shortcuts with ? and closes them with Esc', async () => {
    await page.evaluate('document.activeElement?.blur()');
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    await shot('help');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });
  });

  it('asks before restarting the server, says sessions survive it, and Cancel leaves it running', async () => {
    const before = (await getHealth({ client: api })).data.started_at;
    await page.getByRole('button', { name: 'Restart server' }).click();
    const confirm = page.getByRole('dialog', { name: 'Restart the server?' });
    await confirm.waitFor();
    // Even without --persist-sessions: a graceful restart hands the sessions over.
    await confirm.getByText(/browsers stay signed in/).waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'hidden' });
    expect((await getHealth({ client: api })).data.started_at).toBe(before);
  });

  it('collapses the sidebar and keeps it collapsed after a reload', async () => {
    await page.getByRole('button', { name: 'Collapse sidebar' }).click();
    await page.reload();
    await page.getByRole('button', { name: 'Expand sidebar' }).waitFor();
    await shot('jobs-collapsed');
    await page.getByRole('button', { name: 'Expand sidebar' }).click();
  });

  it('renders every view in the light theme at 1920 wide', async () => {
    await page.setViewportSize({ width: 1920, height: 1080 });
    await setGpuPolicy({ client: api, path: { index: 3 }, body: { min_priority: 5 } });
    await setScheduler({ client: api, body: { enabled: false } });
    await command(['sleep', '5'], { name: 'light-queued', requested_gpus: 1 });
    await page.getByRole('button', { name: 'Switch to light' }).click();
    await page.keyboard.press('g');
    await page.keyboard.press('g');
    await card(3).getByText('Priority ≥ 5').waitFor();
    await shot('gpus-light');
    await page.keyboard.press('g');
    await page.keyboard.press('q');
    await page.locator('tr[data-queue-id]').first().waitFor();
    await shot('queue-light');
    await page.keyboard.press('g');
    await page.keyboard.press('j');
    await page
      .locator('tr[data-job-id]')
      .first()
      .click({ position: { x: 500, y: 10 } });
    // The scheduler is paused: the first row may not have started, so its pane shows no terminal.
    await page.locator('ty-job-outputs').waitFor();
    await shot('jobs-light');
    await page.getByRole('button', { name: 'Switch to dark' }).click();
    await setScheduler({ client: api, body: { enabled: true } });
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  it('says a list could not be read, not that it is empty, when its read fails (Queue, Jobs, Runs, Activity)', async () => {
    // Before: under the error banner, "The queue is empty", "No jobs yet", "Nothing logged to any
    // run yet", "Nothing recorded yet" — each a claim about data the page never got.
    const lists = new Set(['/api/queue', '/api/jobs', '/api/runs/page', '/api/journal']);
    const failing = (url: URL) => lists.has(url.pathname);
    await page.route(failing, (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({
          code: 'DATABASE_BUSY',
          message: 'The database is busy; try again',
          details: [],
        }),
      }),
    );
    try {
      for (const [path, said, claim] of [
        ['/queue', 'The queue could not be read.', 'The queue is empty'],
        ['/jobs', 'The jobs could not be read.', 'No jobs yet'],
        ['/runs', 'The runs could not be read.', 'Nothing logged to any run yet'],
        ['/activity', 'The activity could not be read.', 'Nothing recorded yet'],
      ]) {
        await page.goto(`${server.baseUrl}${path}`);
        await page.getByText(said).waitFor();
        await page.getByText('The database is busy; try again').first().waitFor();
        expect([path, await page.getByText(claim).count()]).toEqual([path, 0]);
      }
    } finally {
      await page.unroute(failing);
    }
    await page.goto(`${server.baseUrl}/queue`);
    await page.getByRole('heading', { name: 'Queue' }).waitFor();
  });

  it('returns to the sign-in page with a clear message when the session ends, then back to the page', async () => {
    await page.keyboard.press('g');
    await page.keyboard.press('q');
    await page.getByRole('heading', { name: 'Queue' }).waitFor();
    await context.clearCookies();
    // Refresh makes the console notice; a re-read it started on its own (a job-change frame) may
    // notice first and leave the page, in which case there is nothing left to click.
    const signIn = page.getByRole('heading', { name: 'Sign in' });
    await Promise.race([
      page
        .getByRole('button', { name: 'Refresh' })
        .click({ timeout: 5_000 })
        .catch(() => undefined),
      signIn.waitFor(),
    ]);
    await signIn.waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in'); // ?next= names the page asked for
    await page.getByRole('alert').filter({ hasText: 'Your session has ended. Sign in again.' }).waitFor();
    await shot('session-ended');

    await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Queue' }).waitFor();
    expect(page.url()).toBe(`${server.baseUrl}/queue`);
  });
});
