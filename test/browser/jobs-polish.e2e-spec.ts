import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Client,
  type JobDto,
  cancelQueueItem,
  controlJob,
  createTrainyardClient,
  getJob,
  getJobLog,
  listJobs,
  setPassword,
  submitJob,
} from '@trainyard/sdk';
import { type Page } from 'playwright-core';
import { type SpawnedServer, spawnServer } from '../support/spawned-server';
import { makeTempHome } from '../support/temp-home';
import { waitFor } from '../support/wait';
import { SCREENSHOTS } from './browser';
import { type ConsoleSession, PASSWORD, closeConsole, openConsolePage } from './console-session';

const REPLAY = join(__dirname, '..', 'fixtures', 'nvidia-smi', 'replay.sh');

/** Traps SIGTERM and takes `saveS` seconds to "save" before it exits, as a trainer does. */
const saver = (saveS: number) => [
  'bash',
  '-c',
  `trap 'echo saving; sleep ${saveS}; exit 0' TERM; echo ready; while true; do sleep 0.2; done`,
];

/**
 * The job lifecycle in the console, as a user trial found it: a stopping job offers Force kill (not
 * a Kill that sends nothing), a SIGTERM still being obeyed is not an error, GPU indices read as
 * indices, the columns that say why a job failed stay at 1280 and 800 px, and the small faults
 * around them (queue reasons, the cancel question, empty filters, keyboard focus, a log 404).
 */
describe('jobs polish (browser e2e, two recorded GPUs)', () => {
  const temp = makeTempHome();
  let session: ConsoleSession | undefined;
  let server: SpawnedServer;
  let api: Client;
  let page: Page;
  let pageErrors: string[] = [];
  /** Browser console errors (a failed request shows up here as "Failed to load resource … 404"). */
  const consoleErrors: string[] = [];

  const row = (id: string) => page.locator(`tr[data-job-id="${id}"]`);
  const submit = async (body: {
    argv: string[];
    name: string;
    gpus?: number;
    kill_grace_s?: number;
  }): Promise<JobDto> =>
    (
      await submitJob({
        client: api,
        body: {
          job_type: 'command',
          requested_gpus: body.gpus ?? 0,
          job_params: { argv: body.argv },
          name: body.name,
          ...(body.kill_grace_s !== undefined && { kill_grace_s: body.kill_grace_s }),
        },
      })
    ).data;
  const jobOf = async (id: string) => (await getJob({ client: api, path: { queue_id: id } })).data;
  const statusOf = async (id: string, status: string) =>
    waitFor(async () => ((await jobOf(id)).status === status ? true : undefined), `${id} ${status}`);
  /** Running is not enough for a job that traps SIGTERM: a signal before its `trap` line kills it plainly. */
  const printed = async (id: string, text: string) =>
    waitFor(async () => {
      // 404 ("no output recorded yet") until the job's monitor has opened its log: not yet, no failure.
      const { data } = await getJobLog({
        client: api,
        throwOnError: false,
        path: { queue_id: id },
        parseAs: 'text',
      });
      return typeof data === 'string' && data.includes(text) ? true : undefined;
    }, `${id} printed ${text}`);
  const setWidth = (width: number) => page.setViewportSize({ width, height: width >= 1280 ? 800 : 700 });

  beforeAll(async () => {
    server = await spawnServer(temp.home, [], {
      TRAINYARD_NVIDIA_SMI: REPLAY,
      TRAINYARD_SMI_GPU: 'query-gpu-2x-mixed',
      TRAINYARD_SMI_APPS: 'compute-apps-idle',
    });
    api = createTrainyardClient({ baseUrl: server.baseUrl, token: server.token ?? undefined });
    await setPassword({ client: api, body: { new_password: PASSWORD } });
    session = { server, api, ...(await openConsolePage(server, { viewport: { width: 1280, height: 800 } })) };
    ({ page } = session);
    pageErrors = session.pageErrors;
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
  });

  afterAll(async () => {
    await closeConsole(session);
    temp.remove();
  });

  afterEach(async () => {
    expect(pageErrors).toEqual([]);
    // Every test starts with both GPUs free: end whatever the last one left running or queued.
    const active = async () =>
      (await listJobs({ client: api, query: { status: 'queued,starting,running,terminating' } })).data.items;
    for (const job of await active()) {
      if (job.status === 'queued') await cancelQueueItem({ client: api, path: { queue_id: job.queue_id } });
      else
        await controlJob({ client: api, path: { queue_id: job.queue_id, action: 'force-kill' } }).catch(
          () => undefined,
        );
    }
    await waitFor(async () => ((await active()).length === 0 ? true : undefined), 'no active job');
  });

  it('a kill obeyed slowly is a neutral note; the stopping job then offers Force kill and says until when', async () => {
    const job = await submit({ argv: saver(30), name: 'saver', gpus: 1, kill_grace_s: 30 });
    await printed(job.queue_id, 'ready');
    await page.goto(`${server.baseUrl}/jobs`);
    await row(job.queue_id).locator('.status-running').waitFor();
    // GPU index, not a bare number that reads as a count (or as "no GPU" for GPU 0).
    const gpuIndex = (await jobOf(job.queue_id)).gpu_indices[0];
    expect((await row(job.queue_id).locator('td.c-gpus').textContent())!.trim()).toBe(`#${gpuIndex}`);

    await row(job.queue_id).getByRole('button', { name: 'Kill saver' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill saver?' });
    expect(await dialog.textContent()).toContain(`GPUs#${gpuIndex}`);
    await dialog.getByRole('button', { name: 'Kill job' }).click();

    // Alive 2 s after SIGTERM is what a saving trainer does: not a red error.
    const toast = page.locator('.toast', { hasText: 'SIGTERM sent to' });
    await toast.waitFor();
    expect(await toast.getAttribute('class')).not.toContain('toast-error');
    expect(await toast.textContent()).toMatch(
      /SIGTERM sent to \d+ process(es)?; still shutting down — SIGKILL at \d\d:\d\d:\d\d unless it exits/,
    );
    expect(await page.locator('.toast-error').count()).toBe(0);

    // Stopping: the row and the pane offer Force kill instead of a Kill that would send nothing.
    const r = row(job.queue_id);
    await r.locator('.status-terminating').waitFor();
    expect(await r.getByRole('button', { name: 'Kill saver', exact: true }).count()).toBe(0);
    await r.getByRole('button', { name: 'Force kill saver' }).waitFor();
    // When SIGKILL comes, from the job's kill_at: its 30 s grace after the SIGTERM.
    const note = (await r.locator('td.c-error').textContent()) ?? '';
    const [, since, kill] = /Stopping since (\d\d:\d\d:\d\d) — SIGKILL at (\d\d:\d\d:\d\d)/.exec(note) ?? [];
    const seconds = (hms: string) => hms.split(':').reduce((t, part) => t * 60 + Number(part), 0);
    expect((seconds(kill) - seconds(since) + 86_400) % 86_400).toBeGreaterThanOrEqual(29);
    expect((seconds(kill) - seconds(since) + 86_400) % 86_400).toBeLessThanOrEqual(31);
    await r.locator('a.job-link').click();
    const pane = page.locator('ty-job-detail');
    await pane.getByRole('status').filter({ hasText: 'Stopping since' }).waitFor();
    expect(await pane.getByRole('button', { name: 'Kill', exact: true }).count()).toBe(0);
    expect(await pane.locator('.facts').textContent()).toContain(`GPUs#${gpuIndex}`);
    await page.screenshot({ path: join(SCREENSHOTS, 'jobs-polish-terminating-1280.png') });
    await setWidth(800);
    await page.screenshot({ path: join(SCREENSHOTS, 'jobs-polish-terminating-800.png') });
    await setWidth(1280);

    // Force kill, with its own question, ends it now.
    await pane.getByRole('button', { name: 'Force kill' }).click();
    const force = page.getByRole('dialog', { name: 'Force kill saver?' });
    expect(await force.textContent()).toContain(`SIGKILL at ${kill}`);
    await force.getByRole('button', { name: 'Force kill' }).click();
    await statusOf(job.queue_id, 'aborted');
    await page.goto(`${server.baseUrl}/jobs`);
  });

  it('fits every status pill in its column, and keeps exit and error visible at 1280 and 800 px', async () => {
    const failed = await submit({ argv: ['bash', '-c', 'exit 3'], name: 'broken-run' });
    const stopping = await submit({ argv: saver(30), name: 'stopping-run', kill_grace_s: 30 });
    await statusOf(failed.queue_id, 'failed');
    await printed(stopping.queue_id, 'ready');
    const { data } = await controlJob({
      client: api,
      path: { queue_id: stopping.queue_id, action: 'kill' },
    });
    expect(data.survivors?.length).toBeGreaterThan(0);
    await page.goto(`${server.baseUrl}/jobs`);
    await row(stopping.queue_id).locator('.status-terminating').waitFor();

    for (const width of [1280, 800]) {
      await setWidth(width);
      await page.waitForTimeout(200);
      // Each pill ends inside its cell (before the job name starts) at its natural width (not squeezed).
      const spills = await page.locator('td.c-status').evaluateAll((cells) =>
        cells
          .map((td) => {
            const pill = td.querySelector('.status')!;
            const free = pill.cloneNode(true);
            free.setAttribute('style', 'position: absolute');
            td.ownerDocument.body.append(free);
            const natural = free.getBoundingClientRect().width;
            free.remove();
            const box = pill.getBoundingClientRect();
            const cell = td.getBoundingClientRect();
            return {
              status: pill.textContent!.trim(),
              over: box.right - cell.right,
              squeezed: natural - box.width,
            };
          })
          .filter((c) => c.over > 0.5 || c.squeezed > 0.5),
      );
      expect(spills).toEqual([]);
      // Why it failed is readable in the list.
      const cells = row(failed.queue_id);
      const error = (await jobOf(failed.queue_id)).error;
      if (width === 1280) {
        expect(await cells.locator('td.c-exit').isVisible()).toBe(true);
        expect((await cells.locator('td.c-exit').textContent())!.trim()).toBe('3');
        expect(await cells.locator('td.c-error').isVisible()).toBe(true);
        expect(await cells.locator('td.c-error').getAttribute('title')).toBe(error);
        for (const c of ['c-gpus', 'c-started', 'c-runtime']) {
          expect(await cells.locator(`td.${c}`).isVisible()).toBe(true);
        }
      } else {
        // Narrow: exit and error go under the name (the name keeps the room); GPUs stays.
        expect(await cells.locator('td.c-error').isVisible()).toBe(false);
        expect(await cells.locator('.narrow-end').getAttribute('title')).toBe(`exit 3 · ${error}`);
        expect(await cells.locator('td.c-gpus').isVisible()).toBe(true);
      }
      await page.screenshot({ path: join(SCREENSHOTS, `jobs-polish-columns-${width}.png`) });
    }
    await setWidth(1280);
    await controlJob({
      client: api,
      path: { queue_id: stopping.queue_id, action: 'force-kill' },
    });
  });

  it('links the jobs in a queue reason with no stray space before ";" or ")"; asks "Keep" or "Remove from queue"', async () => {
    const a = await submit({ argv: ['sleep', '300'], name: 'holder-a', gpus: 1 });
    const b = await submit({ argv: ['sleep', '300'], name: 'holder-b', gpus: 1 });
    await statusOf(a.queue_id, 'running');
    await statusOf(b.queue_id, 'running');
    const waiter = await submit({ argv: ['true'], name: 'big-waiter', gpus: 2 });
    await page.goto(`${server.baseUrl}/queue`);
    const item = page.locator(`tr[data-queue-id="${waiter.queue_id}"]`);
    await item.locator('td.reason a').first().waitFor();
    const reason = (await item.locator('td.reason').innerText()).trim();
    expect(reason).toContain('reserved by');
    expect(reason).not.toMatch(/\s[;),]/);
    expect((await item.locator('td').nth(4).textContent())!.trim()).toBe('2 wanted');
    await page.screenshot({ path: join(SCREENSHOTS, 'jobs-polish-queue-1280.png') });

    await item.getByRole('button', { name: 'Cancel big-waiter' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove big-waiter from the queue?' });
    await dialog.waitFor();
    const buttons = await dialog.getByRole('button').allTextContents();
    expect(buttons.map((t) => t.trim())).toEqual(['Keep', 'Remove from queue']);
    await dialog.getByRole('button', { name: 'Keep' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await jobOf(waiter.queue_id)).status).toBe('queued');

    // Same question from the jobs table; the queued row's GPUs say a count.
    await page.goto(`${server.baseUrl}/jobs`);
    expect((await row(waiter.queue_id).locator('td.c-gpus').textContent())!.trim()).toBe('2 wanted');
    await row(waiter.queue_id).getByRole('button', { name: 'Cancel big-waiter' }).click();
    await page
      .getByRole('dialog', { name: 'Remove big-waiter from the queue?' })
      .getByRole('button', { name: 'Keep' })
      .click();
    await cancelQueueItem({ client: api, path: { queue_id: waiter.queue_id } });
    for (const j of [a, b]) {
      await controlJob({ client: api, path: { queue_id: j.queue_id, action: 'force-kill' } });
    }
  });

  it('says which filters leave the list empty, as wide as the table, and clears them', async () => {
    await page.goto(`${server.baseUrl}/jobs?status=failed&q=zzznomatch`);
    const empty = page.locator('.list-pane .empty');
    await empty.getByText('No failed job matches “zzznomatch”').waitFor();
    for (const width of [1280, 800]) {
      await setWidth(width);
      await page.waitForTimeout(200);
      const head = await page.locator('table.jobs thead').boundingBox();
      const box = await empty.boundingBox();
      expect(Math.abs(head!.width - box!.width)).toBeLessThan(2);
      await page.screenshot({ path: join(SCREENSHOTS, `jobs-polish-empty-${width}.png`) });
    }
    await setWidth(1280);
    await empty.getByRole('button', { name: 'Clear filters' }).click();
    await page.locator('tr[data-job-id]').first().waitFor();
    expect(page.url()).not.toContain('zzznomatch');
    expect(await page.getByRole('button', { name: 'All', exact: true }).getAttribute('aria-pressed')).toBe(
      'true',
    );
  });

  it('moves keyboard focus to the row j/k selects (roving tabindex); Enter on it closes and opens its pane', async () => {
    await page.goto(`${server.baseUrl}/jobs`);
    await page.locator('tr[data-job-id]').nth(1).waitFor();
    await page.locator('h1').click();
    await page.keyboard.press('j');
    const focused = () =>
      page.evaluate<string | null>("document.activeElement?.getAttribute('data-job-id') ?? null");
    // Compared by id, not by place: rows may reorder while jobs of earlier tests end.
    const first = await waitFor(async () => (await focused()) ?? undefined, 'focus on a row');
    // Its pane opens by a navigation; j moves on from that row either way (pressed before it ends too).
    await page.keyboard.press('j');
    const second = await waitFor(async () => {
      const id = await focused();
      return id && id !== first ? id : undefined;
    }, 'focus on the next row');
    // Focus moves at once; the tab stop follows when the row's pane has opened (a navigation).
    await page.locator(`tr[data-job-id="${second}"][tabindex="0"]`).waitFor();
    expect(await page.locator('tr[data-job-id][tabindex="0"]').count()).toBe(1);
    await page.keyboard.press('Enter'); // the pane of the focused row is open: Enter closes it
    await waitFor(async () => (page.url().includes(second) ? undefined : true), 'pane closed');
    await page.keyboard.press('Enter');
    await waitFor(async () => (page.url().includes(second) ? true : undefined), 'pane open again');

    // Escape from inside the pane (its log) closes it and gives focus back to the job's row ...
    await page.locator('.log-term').click();
    await page.keyboard.press('Escape');
    await waitFor(async () => (page.url().includes(second) ? undefined : true), 'pane closed by Escape');
    await waitFor(async () => ((await focused()) === second ? true : undefined), 'focus back on the row');
    // ... and j goes on from that row, not from the top of the list.
    const ids = await page.evaluate<string[]>(
      "[...document.querySelectorAll('tr[data-job-id]')].map((r) => r.dataset.jobId)",
    );
    const below = ids[ids.indexOf(second) + 1];
    await page.keyboard.press('j');
    await waitFor(async () => ((await focused()) === below ? true : undefined), 'focus on the row below');
  });

  it('keeps keyboard focus on its row when a job ending moves that row down the list', async () => {
    // Unfinished jobs come first: when the newest ends, its row moves below the two older ones.
    const older = [
      await submit({ argv: ['sleep', '300'], name: 'focus-older-1' }),
      await submit({ argv: ['sleep', '300'], name: 'focus-older-2' }),
    ];
    const mover = await submit({ argv: ['sleep', '300'], name: 'focus-mover' });
    for (const j of [...older, mover]) await statusOf(j.queue_id, 'running');
    await page.goto(`${server.baseUrl}/jobs/${mover.queue_id}`);
    await page.locator('tr[data-job-id]').nth(2).waitFor();
    expect(await page.locator('tr[data-job-id]').first().getAttribute('data-job-id')).toBe(mover.queue_id);
    await page.locator('h1').click();
    await page.keyboard.press('k'); // the first row is already selected: k focuses it
    const focused = () =>
      page.evaluate<string | null>("document.activeElement?.getAttribute('data-job-id') ?? null");
    await waitFor(async () => ((await focused()) === mover.queue_id ? true : undefined), 'focus on the row');
    await controlJob({ client: api, path: { queue_id: mover.queue_id, action: 'force-kill' } });
    const order = () =>
      page.evaluate<string[]>(
        "[...document.querySelectorAll('tr[data-job-id]')].map((r) => r.dataset.jobId)",
      );
    await waitFor(async () => {
      const ids = await order();
      return ids.indexOf(mover.queue_id) > ids.indexOf(older[0].queue_id) ? true : undefined;
    }, 'the ended job below the running ones');
    expect(await focused()).toBe(mover.queue_id);
    const above = (await order())[(await order()).indexOf(mover.queue_id) - 1];
    await page.keyboard.press('k'); // and the keys go on from it
    await waitFor(async () => ((await focused()) === above ? true : undefined), 'focus moved up');
    for (const j of older) {
      await controlJob({ client: api, path: { queue_id: j.queue_id, action: 'force-kill' } });
    }
  });

  it("shows a preempted job's log while it waits to run again, and its last exit code and note as no failure", async () => {
    const low = (
      await submitJob({
        client: api,
        body: {
          job_type: 'command',
          requested_gpus: 2,
          preemptible: true,
          name: 'preempted-low',
          job_params: {
            argv: [
              'bash',
              '-c',
              'trap "echo checkpoint saved; exit 143" TERM; echo attempt $TRAINYARD_RESTART_COUNT; while true; do sleep 0.2; done',
            ],
          },
        },
      })
    ).data;
    await printed(low.queue_id, 'attempt 0');
    const high = (
      await submitJob({
        client: api,
        body: {
          job_type: 'command',
          requested_gpus: 2,
          priority: 10,
          name: 'preemptor',
          job_params: { argv: ['sleep', '300'] },
        },
      })
    ).data;
    await waitFor(async () => {
      const job = await jobOf(low.queue_id);
      return job.status === 'queued' && job.restart_count === 1 ? true : undefined;
    }, 'the low job requeued');
    await page.goto(`${server.baseUrl}/jobs/${low.queue_id}`);
    await page.locator('.log-term .xterm-rows', { hasText: 'checkpoint saved' }).waitFor();
    expect(await page.locator('.log-term .xterm-rows', { hasText: 'attempt 0' }).count()).toBe(1);
    // Waiting to run again is no failure: its code is the last attempt's, the note is not an error.
    const lastExit = page.locator('ty-job-detail .facts div', { hasText: 'last exit' }).locator('dd');
    expect(await lastExit.textContent()).toBe('143');
    const hasClass = (at: typeof lastExit, name: string) =>
      at.evaluate((el, n) => el.classList.contains(n), name);
    expect(await hasClass(lastExit, 'bad')).toBe(false);
    expect(await page.locator('ty-job-detail .job-error.requeued').textContent()).toContain(
      `preempted by ${high.queue_id}`,
    );
    const row = page.locator(`tr[data-job-id="${low.queue_id}"]`);
    expect(await hasClass(row.locator('.c-exit'), 'bad')).toBe(false);
    expect(await hasClass(row.locator('.c-error'), 'err')).toBe(false);
    // Off its page first: a job cancelled from the queue has no record left to show (404).
    await page.goto(`${server.baseUrl}/jobs`);
    await cancelQueueItem({ client: api, path: { queue_id: low.queue_id } });
    await controlJob({ client: api, path: { queue_id: high.queue_id, action: 'force-kill' } });
  });

  it('opens the pane of a job that never started without asking for a log (no 404 in the console)', async () => {
    const blocker = await submit({ argv: ['sleep', '300'], name: 'blocker', gpus: 2 });
    await statusOf(blocker.queue_id, 'running');
    // A job that can never start: it waits for one that fails (aborted, dependency_failed, never started).
    // It fails once its dependent is queued (a dependency that failed already is refused).
    const gate = join(temp.home, 'doomed-gate');
    const doomed = await submit({
      argv: ['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.05; done; exit 1`],
      name: 'doomed',
    });
    const never = (
      await submitJob({
        client: api,
        body: {
          job_type: 'command',
          requested_gpus: 0,
          job_params: { argv: ['true'] },
          name: 'never-ran',
          depends_on: [{ queue_id: doomed.queue_id, condition: 'after_ok' }],
        },
      })
    ).data;
    writeFileSync(gate, '');
    const waiting = await submit({ argv: ['sleep', '30'], name: 'still-waiting', gpus: 1 });
    await statusOf(never.queue_id, 'aborted');
    expect((await jobOf(never.queue_id)).started_at).toBeNull();
    consoleErrors.length = 0;
    const logRequests: string[] = [];
    page.on('request', (req) => {
      if (/\/api\/jobs\/[^/]+\/log/.test(req.url())) logRequests.push(req.url());
    });
    const notFound: string[] = [];
    page.on('response', (res) => {
      if (res.status() === 404) notFound.push(res.url());
    });
    await page.goto(`${server.baseUrl}/jobs/${never.queue_id}`);
    await page.locator('ty-job-detail .status-aborted').waitFor();
    await page.getByText('This job never started: it has no output.').waitFor();
    await page.goto(`${server.baseUrl}/jobs/${waiting.queue_id}`);
    await page.locator('ty-job-outputs').getByText('Waiting for the job to start…').waitFor();
    await page.waitForTimeout(1_000);
    expect(logRequests.filter((u) => u.includes(never.queue_id) || u.includes(waiting.queue_id))).toEqual([]);
    expect(notFound).toEqual([]);
    expect(consoleErrors.filter((e) => e.includes('404'))).toEqual([]);
    // Once it starts, the open pane shows its log.
    await controlJob({ client: api, path: { queue_id: blocker.queue_id, action: 'force-kill' } });
    await page.locator('ty-job-detail .log-term .xterm-rows').waitFor();
  });
});
