import { mkdtempSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from '../apps/cli/src/cli';
import { jobsApi } from './support/api';
import { answered } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { waitFor } from './support/wait';

jest.setTimeout(120_000);

interface JobRow {
  queue_id: string;
  name: string | null;
  status: string;
  started_at: string | null;
  ended_at: string | null;
  exit_code: number | null;
  error: string | null;
  termination_reason: string | null;
  job_params: { argv: string[] };
  env: Record<string, string>;
  array_id: string | null;
  array_index: number | null;
  retry_of: string | null;
}

/** The most jobs that ran at the same moment, from their start and end times (an end before a start at a tie). */
function maxConcurrency(jobs: readonly JobRow[]): number {
  const events = jobs.flatMap((j) => [
    [Date.parse(j.started_at!), 1],
    [Date.parse(j.ended_at!), -1],
  ]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, delta] of events) most = Math.max(most, (now += delta));
  return most;
}

describe('dependencies, arrays and `trainyard wait` (e2e, in-process server, real processes)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;

  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '2'] });
    api = jobsApi(server.baseUrl, server.token);
  });
  afterAll(() => server.close(true));

  const sh = (script: string, extra: Record<string, unknown> = {}) =>
    api.command(['sh', '-c', script], extra);
  const after = (queue_id: string, condition = 'after_ok') => ({ depends_on: [{ queue_id, condition }] });
  /** The array's jobs by index, through GET /api/jobs?array_id=. */
  const arrayJobs = async (arrayId: string): Promise<JobRow[]> =>
    ((await api.call('GET', `/api/jobs?array_id=${arrayId}&limit=500`)).body.items as JobRow[]).sort(
      (a, b) => a.array_index! - b.array_index!,
    );

  it('runs a chain train → eval → report submitted at once in order, each waiting with its reason', async () => {
    const train = (await sh('sleep 1', { name: 'train' })).body.queue_id;
    const evalJob = (await sh('sleep 0.2', { name: 'eval', ...after(train) })).body.queue_id;
    const report = (await sh('true', { name: 'report', ...after(evalJob) })).body.queue_id;
    await api.waitStatus(train, ['running']);
    const reasons = await waitFor(async () => {
      const items: Array<{ queue_id: string; pending_reason: string | null }> = (
        await api.call('GET', '/api/queue')
      ).body.items;
      const byId = Object.fromEntries(items.map((i) => [i.queue_id, i.pending_reason]));
      return byId[evalJob] && byId[report] ? byId : undefined;
    }, 'pending reasons');
    expect(reasons[evalJob]).toBe(`waiting for ${train} to succeed`);
    expect(reasons[report]).toBe(`waiting for ${evalJob} to succeed`);

    const done = await api.waitStatus(report, ['done'], 30_000);
    const [t, e] = [await api.job(train), await api.job(evalJob)];
    expect([t.status, e.status]).toEqual(['done', 'done']);
    expect(Date.parse(e.started_at)).toBeGreaterThanOrEqual(Date.parse(t.ended_at));
    expect(Date.parse(done.started_at)).toBeGreaterThanOrEqual(Date.parse(e.ended_at));
    expect(e.depends_on).toEqual([{ queue_id: train, condition: 'after_ok' }]);
    expect((await api.call('GET', `/api/jobs/${train}/dependents`)).body).toEqual([
      { queue_id: evalJob, name: 'eval', status: 'done', held: false, condition: 'after_ok' },
    ]);
  });

  it('an array id in depends_on waits for every job of the array, and fails with the first that fails', async () => {
    const sweep = await api.submit({
      job_type: 'command',
      job_params: { argv: ['sh', '-c', 'sleep 0.{index}'] },
      array: { count: 3 },
    });
    const arrayId: string = sweep.body.array_id;
    const evalJob = (await sh('true', after(arrayId))).body.queue_id;
    const elements = (await arrayJobs(arrayId)).map((j) => j.queue_id);
    expect((await api.job(evalJob)).depends_on).toEqual(
      elements.map((queue_id) => ({ queue_id, condition: 'after_ok' })),
    );
    const done = await api.waitStatus(evalJob, ['done', 'failed', 'aborted'], 30_000);
    expect(done.status).toBe('done');
    const ends = (await arrayJobs(arrayId)).map((j) => Date.parse(j.ended_at!));
    expect(Date.parse(done.started_at)).toBeGreaterThanOrEqual(Math.max(...ends));

    // The array ends only once the dependent is queued (the gate), then one of its jobs fails.
    const gate = join(server.config.paths.home, `gate-${Date.now()}`);
    const failing = await api.submit({
      job_type: 'command',
      job_params: { argv: ['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.05; done; exit {index}`] },
      array: { count: 2 },
    });
    const blocked = (await sh('true', after(failing.body.array_id))).body.queue_id;
    writeFileSync(gate, '');
    const aborted = await api.waitStatus(blocked, ['done', 'failed', 'aborted'], 30_000);
    const [, second] = await arrayJobs(failing.body.array_id);
    expect(aborted).toMatchObject({ status: 'aborted', termination_reason: 'dependency_failed' });
    expect(aborted.error).toBe(
      `dependency ${second.queue_id} (after_ok) can no longer be met: it ended failed`,
    );
    // Once that is known, a job submitted after it is refused, not queued to be aborted at once.
    for (const target of [failing.body.array_id as string, second.queue_id]) {
      const late = await sh('true', after(target));
      expect(late.status).toBe(400);
      expect(late.body.details).toEqual([
        {
          field: 'depends_on[0].queue_id',
          message: `${second.queue_id} (after_ok) can no longer be met: it ended failed`,
        },
      ]);
    }
    expect((await sh('true', after(second.queue_id, 'after_not_ok'))).status).toBe(201);

    const unknown = await sh('true', after('a_1700000000000_0a1b2c3d'));
    expect(unknown.status).toBe(400);
    expect(unknown.body.details).toEqual([
      { field: 'depends_on[0].queue_id', message: 'no array a_1700000000000_0a1b2c3d' },
    ]);
  });

  it('a failed head ends the whole tail aborted / dependency_failed, naming the dependency', async () => {
    // It fails once the chain is queued (a dependency that failed already is refused).
    const gate = join(server.config.paths.home, `train-gate-${Date.now()}`);
    const train = (await sh(`while [ ! -e ${gate} ]; do sleep 0.05; done; exit 3`)).body.queue_id;
    const evalJob = (await sh('true', after(train))).body.queue_id;
    const report = (await sh('true', after(evalJob))).body.queue_id;
    const cleanup = (await sh('true', after(evalJob, 'after_any'))).body.queue_id;
    const onFailure = (await sh('true', after(train, 'after_not_ok'))).body.queue_id;
    writeFileSync(gate, '');
    const e = await api.waitStatus(evalJob, ['aborted', 'done', 'failed'], 30_000);
    expect(e).toMatchObject({ status: 'aborted', termination_reason: 'dependency_failed', started_at: null });
    expect(e.error).toBe(`dependency ${train} (after_ok) can no longer be met: it ended failed`);
    const r = await api.waitStatus(report, ['aborted', 'done', 'failed']);
    expect(r).toMatchObject({ status: 'aborted', termination_reason: 'dependency_failed' });
    expect(r.error).toContain(evalJob);
    expect((await api.waitStatus(cleanup, ['done', 'failed', 'aborted'])).status).toBe('done');
    expect((await api.waitStatus(onFailure, ['done', 'failed', 'aborted'])).status).toBe('done');
  });

  it('after_start is not met by a dependency whose launch failed: its dependents end dependency_failed', async () => {
    // Its working directory goes between the submit and the launch: claimed (started_at set), never run.
    const gone = mkdtempSync(join(tmpdir(), 'trainyard-gone-'));
    await api.call('POST', '/api/queue/scheduler', { enabled: false });
    let head: string;
    let dependent: string;
    try {
      head = (await api.command(['true'], { cwd: gone, name: 'launch-fails' })).body.queue_id;
      dependent = (await sh('true', after(head, 'after_start'))).body.queue_id;
      rmdirSync(gone);
    } finally {
      await api.call('POST', '/api/queue/scheduler', { enabled: true });
    }
    const h = await api.waitStatus(head, ['failed', 'done', 'aborted'], 30_000);
    expect(h).toMatchObject({ status: 'failed', termination_reason: 'launch_failed', pid: null });
    expect(h.started_at).not.toBeNull();
    const d = await api.waitStatus(dependent, ['aborted', 'done', 'failed'], 30_000);
    expect(d).toMatchObject({ status: 'aborted', termination_reason: 'dependency_failed', started_at: null });
    expect(d.error).toBe(
      `dependency ${head} (after_start) can no longer be met: it ended failed without starting`,
    );
  });

  it('dependents of a job still queued for GPUs wait for it, whatever their condition', async () => {
    const hog = (await sh('sleep 1.5', { requested_gpus: 2, name: 'hog' })).body.queue_id;
    await api.waitStatus(hog, ['running']);
    // Queued behind the hog, with no dependency of its own.
    const head = (await sh('true', { requested_gpus: 1, name: 'head' })).body.queue_id;
    const conditions = ['after_ok', 'after_any', 'after_start'];
    const tails: string[] = [];
    for (const condition of conditions) tails.push((await sh('true', after(head, condition))).body.queue_id);
    const reasons = await waitFor(async () => {
      const items: Array<{ queue_id: string; pending_reason: string | null }> = (
        await api.call('GET', '/api/queue?limit=200')
      ).body.items;
      const byId = new Map(items.map((i) => [i.queue_id, i.pending_reason]));
      return tails.every((t) => byId.get(t)) ? tails.map((t) => byId.get(t)) : undefined;
    }, 'the reasons of the waiting jobs');
    expect(reasons).toEqual([
      `waiting for ${head} to succeed`,
      `waiting for ${head} to end`,
      `waiting for ${head} to start`,
    ]);
    // The job's own record says so too (`trainyard job status`), and running jobs have no reason.
    expect((await api.job(tails[0])).pending_reason).toBe(`waiting for ${head} to succeed`);
    expect((await api.job(hog)).pending_reason).toBeUndefined();
    const headJob = await api.waitStatus(head, ['done'], 15_000);
    for (const tail of tails) {
      const t = await api.waitStatus(tail, ['done', 'failed', 'aborted'], 15_000);
      expect(t).toMatchObject({ status: 'done', error: null });
      expect(Date.parse(t.started_at)).toBeGreaterThanOrEqual(Date.parse(headJob.started_at));
    }
  });

  it('cleanup keeps a finished job that queued jobs depend on: their met dependency stays met', async () => {
    const hog = (await sh('sleep 2', { requested_gpus: 2, name: 'hog' })).body.queue_id;
    await api.waitStatus(hog, ['running']);
    const train = (await sh('true', { name: 'train' })).body.queue_id;
    await api.waitStatus(train, ['done']);
    // Its dependency is met; it waits for a GPU.
    const evalJob = (await sh('true', { requested_gpus: 1, name: 'eval', ...after(train) })).body.queue_id;

    const refused = await api.call('DELETE', `/api/jobs/${train}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe(
      `${train} is a dependency of queued job ${evalJob} (after_ok): delete it once they have started, or cancel them first`,
    );
    const cleanup = await api.call('POST', '/api/jobs/cleanup');
    expect(cleanup.status).toBe(200);
    expect(cleanup.body.kept).toEqual([train]);
    expect(cleanup.body.deleted).not.toContain(train);
    expect((await api.job(train)).status).toBe('done');

    const e = await api.waitStatus(evalJob, ['done', 'failed', 'aborted'], 15_000);
    expect(e).toMatchObject({ status: 'done', error: null });
    // Once its dependent has started, a cleanup removes it.
    expect((await api.call('POST', '/api/jobs/cleanup')).body).toMatchObject({ kept: [] });
    expect((await api.call('GET', `/api/jobs/${train}`)).status).toBe(404);
  });

  it('a dependency cancelled from the queue fails its after_ok dependents', async () => {
    await api.call('POST', '/api/queue/scheduler', { enabled: false });
    const head = (await sh('true')).body.queue_id;
    const tail = (await sh('true', after(head))).body.queue_id;
    expect((await api.call('DELETE', `/api/queue/${head}`)).status).toBe(200);
    await api.call('POST', '/api/queue/scheduler', { enabled: true });
    const t = await api.waitStatus(tail, ['aborted', 'done']);
    expect(t.error).toMatch(/no longer exists/);
  });

  it('while the scheduler is paused a queued job still says which dependency it waits for, and a failed one ends it', async () => {
    // It fails once its dependent is queued (a dependency that failed already is refused).
    const gate = join(server.config.paths.home, `head-gate-${Date.now()}`);
    const head = (await sh(`while [ ! -e ${gate} ]; do sleep 0.05; done; exit 1`)).body.queue_id;
    await api.waitStatus(head, ['running']);
    await api.call('POST', '/api/queue/scheduler', { enabled: false });
    try {
      const tail = (await sh('true', after(head))).body.queue_id;
      const plain = (await sh('true')).body.queue_id;
      const reasons = await waitFor(async () => {
        const items: Array<{ queue_id: string; pending_reason: string | null }> = (
          await api.call('GET', '/api/queue')
        ).body.items;
        const byId = Object.fromEntries(items.map((i) => [i.queue_id, i.pending_reason]));
        return byId[tail]?.includes('waiting for') ? byId : undefined;
      }, 'the dependency reason while paused');
      expect(reasons[tail]).toBe(`scheduler is paused; waiting for ${head} to succeed`);
      expect(reasons[plain]).toBe('scheduler is paused');
      // Its dependency fails while the scheduler is still paused: it ends then, not at the resume.
      writeFileSync(gate, '');
      const t = await api.waitStatus(tail, ['aborted', 'done'], 30_000);
      expect(t).toMatchObject({ status: 'aborted', termination_reason: 'dependency_failed' });
      expect((await api.job(plain)).status).toBe('queued');
      expect((await api.call('DELETE', `/api/queue/${plain}`)).status).toBe(200);
    } finally {
      await api.call('POST', '/api/queue/scheduler', { enabled: true });
    }
  });

  it('runs a 3×3 sweep with max_running 2: nine jobs, two at a time, values in argv, name and env', async () => {
    const answer = await api.submit({
      job_type: 'command',
      name: 'sweep',
      job_params: {
        argv: [
          'sh',
          '-c',
          'echo "lr={lr} bs={bs} id=$TRAINYARD_ARRAY_ID index=$TRAINYARD_ARRAY_INDEX"; sleep 0.6',
        ],
      },
      array: { sweep: { lr: ['1e-3', '1e-4', '1e-5'], bs: [16, 32, 64] }, max_running: 2 },
    });
    expect(answer.status).toBe(201);
    const arrayId: string = answer.body.array_id;
    expect(arrayId).toMatch(/^a_\d{13}_[0-9a-f]{8}$/);
    expect(answer.body.array_index).toBe(0);
    // While it runs, the queue says why the rest wait.
    const capped = await waitFor(async () => {
      const items: Array<{ pending_reason: string | null }> = (await api.call('GET', '/api/queue')).body
        .items;
      return items.find((i) => i.pending_reason?.startsWith(`array ${arrayId}`));
    }, 'a max_running reason');
    expect(capped.pending_reason).toBe(`array ${arrayId} has 2 running (max_running 2)`);

    await waitFor(
      async () => {
        const summary = (await api.call('GET', `/api/arrays/${arrayId}`)).body;
        return summary.finished === 9 ? summary : undefined;
      },
      'the sweep to finish',
      60_000,
    );
    const jobs = await arrayJobs(arrayId);
    expect(jobs).toHaveLength(9);
    expect(jobs.every((j) => j.status === 'done' && j.array_id === arrayId)).toBe(true);
    expect(maxConcurrency(jobs)).toBe(2);
    const lrs = ['1e-3', '1e-4', '1e-5'];
    for (const [i, job] of jobs.entries()) {
      const [lr, bs] = [lrs[Math.floor(i / 3)], [16, 32, 64][i % 3]];
      expect(job.name).toBe(`sweep lr=${lr} bs=${bs}`);
      expect(job.job_params.argv[2]).toContain(`echo "lr=${lr} bs=${bs} id=`);
      expect(await api.log(job.queue_id)).toContain(`lr=${lr} bs=${bs} id=${arrayId} index=${i}`);
    }
    const summary = (await api.call('GET', `/api/arrays/${arrayId}`)).body;
    expect(summary).toMatchObject({ array_id: arrayId, total: 9, finished: 9, max_running: 2 });
    expect(summary.counts.done).toBe(9);
  });

  it('refuses a sweep whose command has a misspelt placeholder (it would run the same command N times)', async () => {
    const answer = await api.submit({
      job_type: 'command',
      job_params: { argv: ['echo', '{lrr}', '{lr}'] },
      array: { sweep: { lr: [1, 2] } },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.details).toEqual([
      expect.objectContaining({
        field: 'job_params.argv[1]',
        message: expect.stringContaining('did you mean {lr}?'),
      }),
    ]);
    expect((await api.call('GET', '/api/jobs?q=lrr')).body.total).toBe(0);
  });

  it('replaces {param} and {index} in each job’s environment and name too, and refuses a typo of {index} anywhere', async () => {
    const answer = await api.submit({
      job_type: 'command',
      name: 'lr-{lr}',
      job_params: { argv: ['sh', '-c', 'echo "LR=$LR SEED=$SEED"'] },
      env: { LR: '{lr}', SEED: 'seed-{index}', HOME_TOO: '${HOME}' },
      array: { sweep: { lr: ['0.1', '0.2'] }, count: 2 },
    });
    expect(answer.status).toBe(201);
    const arrayId: string = answer.body.array_id;
    await waitFor(
      async () => (await api.call('GET', `/api/arrays/${arrayId}`)).body.finished === 4 || undefined,
      'the array to finish',
      30_000,
    );
    const jobs = await arrayJobs(arrayId);
    expect(jobs.map((j) => [j.name, j.env])).toEqual([
      ['lr-0.1 [0]', { LR: '0.1', SEED: 'seed-0', HOME_TOO: '${HOME}' }],
      ['lr-0.1 [1]', { LR: '0.1', SEED: 'seed-1', HOME_TOO: '${HOME}' }],
      ['lr-0.2 [2]', { LR: '0.2', SEED: 'seed-2', HOME_TOO: '${HOME}' }],
      ['lr-0.2 [3]', { LR: '0.2', SEED: 'seed-3', HOME_TOO: '${HOME}' }],
    ]);
    for (const [i, job] of jobs.entries())
      expect(await api.log(job.queue_id)).toContain(`LR=0.${i < 2 ? 1 : 2} SEED=seed-${i}`);
    // A sweep used only in the environment sets the jobs apart: no "used nowhere".
    const envOnly = await api.submit({
      job_type: 'command',
      job_params: { argv: ['true'] },
      env: { LR: '{lr}' },
      array: { sweep: { lr: [1, 2] } },
      held: true,
    });
    expect(envOnly.status).toBe(201);
    await api.call('POST', `/api/arrays/${envOnly.body.array_id as string}/cancel`);

    // A value that makes a job's variable longer than the kernel takes is refused at the submit.
    const big = await api.submit({
      job_type: 'command',
      job_params: { argv: ['true'] },
      env: { BIG: 'x{v}' },
      array: { sweep: { v: ['1', 'y'.repeat(131_072)] } },
    });
    expect(big.status).toBe(400);
    expect(big.body.details).toEqual([
      {
        field: 'env.BIG',
        message: expect.stringMatching(/^array job 1: env\.BIG is 131077 bytes; .* at most 131071/),
      },
    ]);

    for (const [where, extra] of [
      ['job_params.argv[1]', { job_params: { argv: ['echo', '{INDEX}'] } }],
      ['env.SEED', { job_params: { argv: ['true'] }, env: { SEED: '{indx}' } }],
      ['name', { job_params: { argv: ['true'] }, name: 'run-{Index}' }],
    ] as const) {
      const refused = await api.submit({
        job_type: 'command',
        array: { count: 2 },
        ...extra,
      });
      expect({ where, status: refused.status, details: refused.body.details }).toEqual({
        where,
        status: 400,
        details: [
          {
            field: where,
            message: expect.stringContaining('is not an array parameter; did you mean {index}?'),
          },
        ],
      });
    }
  });

  it('runs a 100-job array with a cap of 4: never more than 4 at once', async () => {
    const answer = await api.submit({
      job_type: 'command',
      job_params: { argv: ['sh', '-c', 'sleep 0.1; echo {index}'] },
      array: { count: 100, max_running: 4 },
    });
    expect(answer.status).toBe(201);
    const arrayId: string = answer.body.array_id;
    await waitFor(
      async () => (await api.call('GET', `/api/arrays/${arrayId}`)).body.finished === 100,
      'the array to finish',
      100_000,
    );
    const jobs = await arrayJobs(arrayId);
    expect(jobs).toHaveLength(100);
    expect(jobs.every((j) => j.status === 'done')).toBe(true);
    expect(new Set(jobs.map((j) => j.job_params.argv[2])).size).toBe(100);
    const most = maxConcurrency(jobs);
    expect(most).toBeLessThanOrEqual(4);
    expect(most).toBeGreaterThan(1);
    // GET /api/jobs?array_id= lists this array's jobs and nothing else.
    const page = (await api.call('GET', `/api/jobs?array_id=${arrayId}&limit=10`)).body;
    expect(page.total).toBe(100);
    expect(page.items.every((j: JobRow) => j.array_id === arrayId)).toBe(true);
    // Cancelling it now is no success: nothing is left to cancel, as with one job that ended.
    const cancel = await api.call('POST', `/api/arrays/${arrayId}/cancel`);
    expect(cancel.status).toBe(409);
    expect(cancel.body).toMatchObject({
      code: 'JOB_NOT_RUNNING',
      message: `array ${arrayId} already ended (100 done): nothing to cancel`,
    });
  });

  it('cancels an array as a unit and retries its failed jobs as a new array keeping their indices', async () => {
    const answer = await api.submit({
      job_type: 'command',
      job_params: { argv: ['sh', '-c', 'test {index} -eq 0 || exit 4'] },
      array: { count: 3 },
    });
    const arrayId: string = answer.body.array_id;
    await waitFor(
      async () => (await api.call('GET', `/api/arrays/${arrayId}`)).body.finished === 3,
      'array end',
    );
    // Each job says why it ended, not only its status and exit code.
    expect((await api.call('GET', `/api/arrays/${arrayId}`)).body.jobs).toEqual([
      expect.objectContaining({ array_index: 0, status: 'done', termination_reason: 'completed' }),
      expect.objectContaining({ array_index: 1, status: 'failed', termination_reason: 'exited_nonzero' }),
      expect.objectContaining({ array_index: 2, status: 'failed', termination_reason: 'exited_nonzero' }),
    ]);
    const retry = await api.call('POST', `/api/arrays/${arrayId}/retry`);
    expect(retry.status).toBe(201);
    expect(retry.body.array_id).not.toBe(arrayId);
    expect(retry.body.jobs.map((j: { array_index: number }) => j.array_index)).toEqual([1, 2]);
    const failedIds = (await arrayJobs(arrayId)).slice(1).map((j) => j.queue_id);
    const copiesOf = async () =>
      ((await api.call('GET', '/api/jobs?limit=500')).body.items as JobRow[]).filter(
        (j) => j.retry_of !== null && failedIds.includes(j.retry_of),
      );
    expect((await copiesOf()).map((j) => j.array_id)).toEqual([retry.body.array_id, retry.body.array_id]);
    // The same retry again (a double click, a script run twice) copies nothing twice.
    const again = await api.call('POST', `/api/arrays/${arrayId}/retry`);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain(`retried already (as ${retry.body.array_id})`);
    // Its own code and the retry's array as a fact, for scripts (before: CONFLICT, the id in prose only).
    expect(again.body).toMatchObject({
      code: 'ALREADY_RETRIED',
      details: { retried_as: [retry.body.array_id] },
    });
    expect(await copiesOf()).toHaveLength(2);
    // The array says what was retried, as what, and that nothing is left to retry.
    const summary = (await api.call('GET', `/api/arrays/${arrayId}`)).body;
    expect(summary).toMatchObject({ retryable: 0, retried_as: [retry.body.array_id] });
    expect(summary.jobs.map((j: { retried_as: string | null }) => j.retried_as)).toEqual([
      null,
      ...retry.body.jobs.map((j: { queue_id: string }) => j.queue_id),
    ]);

    await api.call('POST', '/api/queue/scheduler', { enabled: false });
    const long = await api.submit({
      job_type: 'command',
      job_params: { argv: ['sleep', '30'] },
      array: { count: 5 },
    });
    const cancelled = await api.call('POST', `/api/arrays/${long.body.array_id}/cancel`);
    await api.call('POST', '/api/queue/scheduler', { enabled: true });
    expect(cancelled.status).toBe(200);
    // Kept, as Slurm keeps a cancelled array task (before: removed, and the array was gone).
    expect(cancelled.body).toMatchObject({ removed: [], aborting: [] });
    expect(cancelled.body.aborted).toHaveLength(5);
    const kept = await api.call('GET', `/api/arrays/${long.body.array_id}`);
    expect(kept.body).toMatchObject({ total: 5, finished: 5, counts: { aborted: 5 }, retryable: 5 });
    expect(await api.job(kept.body.jobs[0].queue_id)).toMatchObject({
      status: 'aborted',
      termination_reason: 'user_abort',
      error: 'cancelled before it started',
      exit_code: null,
    });
  });

  it('cancelling an array stops its running jobs all at once, not one after another', async () => {
    // Each job notes when its SIGTERM came, and takes 3 s to save before it exits. One by one,
    // each stop waited 2 s for the job to go before signalling the next: 0, 2, 4, 6 s.
    const dir = mkdtempSync(join(server.config.paths.home, 'sigterm-'));
    const script = `trap 'date +%s%N > ${dir}/t-{index}; mv ${dir}/t-{index} ${dir}/term-{index}; sleep 3; exit 0' TERM; touch ${dir}/ready-{index}; while :; do sleep 0.1; done`;
    const { array_id: arrayId } = (
      await api.submit({
        job_type: 'command',
        job_params: { argv: ['sh', '-c', script] },
        array: { count: 4 },
        kill_grace_s: 30,
      })
    ).body;
    await waitFor(
      () => readdirSync(dir).filter((f) => f.startsWith('ready-')).length === 4,
      'all four running',
    );
    const cancelled = await api.call('POST', `/api/arrays/${arrayId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.aborting).toHaveLength(4);
    const signalledAt = await waitFor(() => {
      const notes = readdirSync(dir).filter((f) => f.startsWith('term-'));
      return notes.length === 4
        ? notes.map((f) => Number(BigInt(readFileSync(join(dir, f), 'utf8').trim()) / 1_000_000n))
        : undefined;
    }, 'four SIGTERMs');
    expect(Math.max(...signalledAt) - Math.min(...signalledAt)).toBeLessThan(1000);
    await waitFor(
      async () => (await api.call('GET', `/api/arrays/${arrayId}`)).body.counts.aborted === 4,
      'four aborted',
      20_000,
    );
  });

  it('queues 10,000 jobs in one submit, and a retry with the same Idempotency-Key repeats it', async () => {
    await api.call('POST', '/api/queue/scheduler', { enabled: false });
    try {
      const body = {
        job_type: 'command',
        name: 'big',
        job_params: { argv: ['echo', '{index}'] },
        array: { count: 10_000, max_running: 8 },
      };
      const headers = { 'Idempotency-Key': 'big-array' };
      const first = await api.submit(body, headers);
      expect(first.status).toBe(201);
      expect(first.body.name).toBe('big [0]');
      const again = await api.submit(body, headers);
      expect(again.status).toBeLessThan(300);
      expect(again.body.queue_id).toBe(first.body.queue_id);
      const summary = (await api.call('GET', `/api/arrays/${first.body.array_id}`)).body;
      expect(summary.total).toBe(10_000);
      expect(summary.jobs[9_999]).toMatchObject({ array_index: 9_999, name: 'big [9999]' });
      const cancelled = await api.call('POST', `/api/arrays/${first.body.array_id}/cancel`);
      expect(cancelled.body.aborted).toHaveLength(10_000);
    } finally {
      await api.call('POST', '/api/queue/scheduler', { enabled: true });
    }
  });

  describe('`trainyard wait`', () => {
    const wait = (args: string[]) => cli(['wait', '--interval', '0.1', ...args]);
    /** `out`: stdout and stderr as a terminal shows them; `stdout`, `stderr`: each alone. */
    const cli = async (args: string[]) => {
      const got = { out: '', stdout: '', stderr: '' };
      const into = (stream: 'stdout' | 'stderr') => (chunk: unknown) => {
        got.out += String(chunk);
        got[stream] += String(chunk);
      };
      const sink = (stream: 'stdout' | 'stderr') =>
        new Writable({ write: (chunk, _, done) => (into(stream)(chunk), done()) });
      // The CLI context prints results on process.stdout itself, and notes on process.stderr.
      const spies = (['stdout', 'stderr'] as const).map((stream) =>
        jest.spyOn(process[stream], 'write').mockImplementation((chunk) => (into(stream)(chunk), true)),
      );
      try {
        const code = await runCli(args, {
          env: { TRAINYARD_SERVER_URL: server.baseUrl, TRAINYARD_SERVER_TOKEN: server.token },
          stdout: sink('stdout'),
          stderr: sink('stderr'),
        });
        return { code, ...got };
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
    };

    it('`sched retry` and `sched cancel` take an array id', async () => {
      const arrayId = (
        await api.submit({
          job_type: 'command',
          job_params: { argv: ['sh', '-c', 'test {index} -eq 0 || exit 4'] },
          array: { count: 3 },
        })
      ).body.array_id;
      expect((await wait([arrayId])).code).toBe(4);
      const retried = await cli(['sched', 'retry', arrayId]);
      expect(retried).toMatchObject({
        code: 0,
        stderr: `trainyard: 2 jobs of ${arrayId} submitted again as a new array\n`,
      });
      // New jobs in a new array, whose id is all of stdout.
      const again = /^(a_\d{13}_[0-9a-f]{8})\n$/.exec(retried.stdout)?.[1];
      expect(again).toBeDefined();
      expect(again).not.toBe(arrayId);
      expect((await wait([again!])).code).toBe(4);

      await api.call('POST', '/api/queue/scheduler', { enabled: false });
      try {
        const queued = (
          await api.submit({ job_type: 'command', job_params: { argv: ['true'] }, array: { count: 2 } })
        ).body.array_id;
        const cancelled = await cli(['sched', 'cancel', queued]);
        expect(cancelled).toMatchObject({
          code: 0,
          out: `${queued}: 2 queued: cancelled (kept as aborted; trainyard sched retry ${queued} runs them again)\n`,
        });
      } finally {
        await api.call('POST', '/api/queue/scheduler', { enabled: true });
      }
      // A job id retries the job's array: an unknown job is not found.
      expect((await cli(['sched', 'retry', 'q_1700000000000_00000000'])).code).toBe(5);
    });

    it('`sched list --array` lists one array’s jobs, `-q` searches; a job id is no array', async () => {
      const body = { job_type: 'command', job_params: { argv: ['true'] }, held: true };
      const arrayId: string = (await api.submit({ ...body, name: 'listed-one', array: { count: 3 } })).body
        .array_id;
      const other: string = (await api.submit({ ...body, array: { count: 2 } })).body.array_id;
      try {
        const ids = async (args: string[]) => {
          const run = await cli(['--json', 'sched', 'list', ...args]);
          expect(run.code).toBe(0);
          return (JSON.parse(run.out) as { items: JobRow[] }).items.map((j) => j.array_id);
        };
        expect(await ids(['--array', arrayId.slice(-8)])).toEqual([arrayId, arrayId, arrayId]);
        expect(await ids(['-q', 'listed-one'])).toEqual([arrayId, arrayId, arrayId]);
        expect(await ids(['--array', other, '-q', 'listed-one'])).toEqual([]);
        const job = (await arrayJobs(arrayId))[0].queue_id;
        expect((await cli(['sched', 'list', '--array', job])).code).toBe(2);
      } finally {
        for (const id of [arrayId, other]) await api.call('POST', `/api/arrays/${id}/cancel`);
      }
    });

    it('an array with one queued job cancelled is no success: the job stays, aborted, and a retry runs it', async () => {
      // Before (a trial): the cancelled job was removed, `wait` said "2/2 done" and exited 0, and
      // `sched retry` had nothing to retry — a sweep point lost without a trace.
      const arrayId = (
        await api.submit({
          job_type: 'command',
          job_params: { argv: ['sh', '-c', 'sleep 0.5; echo {index}'] },
          array: { count: 3, max_running: 1 },
        })
      ).body.array_id;
      const last = (await api.call('GET', `/api/arrays/${arrayId}`)).body.jobs[2];
      expect(last.status).toBe('queued');
      const cancelled = await cli(['sched', 'cancel', last.queue_id]);
      expect(cancelled).toMatchObject({
        code: 0,
        out: `${last.queue_id} cancelled: kept as aborted in array ${arrayId} (trainyard sched retry ${arrayId} runs it again)\n`,
      });
      // Cancelled before it started: 5, as for a job removed from the queue (it was 1, as a failure
      // without an exit code, so a script could not tell it from one), for the array and the job.
      const waited = await wait([arrayId]);
      expect(waited.code).toBe(5);
      expect(waited.out).toContain(`${arrayId} 2/3 done; not done: ${last.queue_id} aborted`);
      expect((await wait([last.queue_id])).code).toBe(5);
      const tailed = await cli(['job', 'tail', last.queue_id]);
      expect(tailed.code).toBe(5);
      expect(await api.job(last.queue_id)).toMatchObject({
        status: 'aborted',
        termination_reason: 'user_abort',
        error: 'cancelled before it started',
        started_at: null,
      });
      const retried = await cli(['sched', 'retry', arrayId]);
      expect(retried.stderr).toBe(`trainyard: 1 job of ${arrayId} submitted again as a new array\n`);
    });

    it('exits 0 when every job and array succeeded', async () => {
      const a = (await sh('sleep 0.3')).body.queue_id;
      const arr = (
        await api.submit({ job_type: 'command', job_params: { argv: ['true'] }, array: { count: 3 } })
      ).body.array_id;
      const { code, out } = await wait([a, arr]);
      expect(code).toBe(0);
      expect(out).toContain(`${arr} 3/3 done`);
      expect((await api.job(a)).status).toBe('done');
    });

    it("exits with the failing job's code (3), also when it is inside an array", async () => {
      const ok = (await sh('true')).body.queue_id;
      const bad = (await sh('sleep 0.2; exit 3')).body.queue_id;
      expect((await wait([ok, bad])).code).toBe(3);
      const arr = (
        await api.submit({
          job_type: 'command',
          job_params: { argv: ['sh', '-c', 'test {index} -ne 1 || exit 3'] },
          array: { count: 3 },
        })
      ).body.array_id;
      expect((await wait([arr])).code).toBe(3);
    });

    it('--any returns when the first target ends, with its code', async () => {
      const slow = (await sh('sleep 20')).body.queue_id;
      const fast = (await sh('exit 7')).body.queue_id;
      const started = Date.now();
      const any = await wait(['--json', '--any', slow, fast]);
      expect(any.code).toBe(7);
      expect(Date.now() - started).toBeLessThan(15_000);
      // A list of the targets that ended, as without --any (before: one object, so `.[0]` broke).
      expect(JSON.parse(any.stdout)).toEqual([
        { target: fast, jobs: [expect.objectContaining({ queue_id: fast, status: 'failed', exit_code: 7 })] },
      ]);
      await api.call('POST', `/api/jobs/${slow}/control/force-kill`);
    });

    it('takes a short job id, as every command does', async () => {
      const id = (await sh('exit 4')).body.queue_id;
      const { code, out } = await wait([id.slice(-8)]);
      expect(code).toBe(4);
      expect(out).toContain(id);
    });

    it('refuses what is not an id (2) and reports a missing one (5)', async () => {
      expect((await wait([''])).code).toBe(2);
      expect((await wait(['nope'])).code).toBe(5);
      expect((await wait(['a_1700000000000_00000000'])).code).toBe(5);
      // The CLI's own failure, as for a short id that matches nothing: on stderr, nothing on stdout
      // (before: a result line on stdout, which a script reads as the job's).
      const unknown = await wait(['q_1700000000000_00000000']);
      expect(unknown).toMatchObject({
        code: 5,
        stdout: '',
        stderr:
          'trainyard: no job q_1700000000000_00000000 (unknown id, or cancelled from the queue before it ran)\n',
      });
    });

    it('a job cancelled from the queue while waited for ends "cancelled" (5)', async () => {
      await api.call('POST', '/api/queue/scheduler', { enabled: false });
      try {
        const id = (await sh('true')).body.queue_id;
        const readsBefore = await answered(server, 'GET', '/api/jobs/:queue_id');
        const waiting = wait([id]);
        // `wait` has seen it queued: two reads of the job (the id's lookup may be the first).
        await waitFor(
          async () => (await answered(server, 'GET', '/api/jobs/:queue_id')) >= readsBefore + 2,
          '`wait` to read the job',
        );
        expect((await api.call('DELETE', `/api/queue/${id}`)).status).toBe(200);
        const { code, out } = await waiting;
        expect(code).toBe(5);
        expect(out).toContain(`${id} cancelled`);
      } finally {
        await api.call('POST', '/api/queue/scheduler', { enabled: true });
      }
    });
  });

  describe('bad input → 400 naming the field, nothing queued', () => {
    it.each<[string, Record<string, unknown>, string]>([
      [
        'an unknown dependency',
        { depends_on: [{ queue_id: 'q_1700000000000_00000000' }] },
        'depends_on[0].queue_id',
      ],
      ['a malformed dependency id', { depends_on: [{ queue_id: 'x' }] }, 'depends_on[0].queue_id'],
      [
        'an unknown condition',
        { depends_on: [{ queue_id: 'q_1700000000000_00000000', condition: 'after_lunch' }] },
        'depends_on[0].condition',
      ],
      ['an array over 10,000 jobs', { array: { count: 10_001 } }, 'array.count'],
      [
        'a sweep over 10,000 jobs',
        { array: { sweep: { a: [...Array(200).keys()], b: [...Array(51).keys()] } } },
        'array.sweep',
      ],
      ['an empty sweep list', { array: { sweep: { lr: [] } } }, 'array.sweep.lr'],
      // `true` has no {lr}: two jobs named lr=1 and lr=2 would run the same command.
      ['a sweep key the command uses nowhere', { array: { sweep: { lr: [1, 2] } } }, 'array.sweep.lr'],
      ['max_running 0', { array: { count: 2, max_running: 0 } }, 'array.max_running'],
      ['an unknown array field', { array: { count: 2, size: 3 } }, 'array.size'],
    ])('%s', async (_, extra, field) => {
      const before = (await api.call('GET', '/api/jobs?limit=1')).body.total;
      const answer = await api.command(['true'], extra);
      expect(answer.status).toBe(400);
      expect(answer.body.details.map((d: { field: string }) => d.field)).toContain(field);
      expect((await api.call('GET', '/api/jobs?limit=1')).body.total).toBe(before);
    });

    it('says the bounds a refused array count or max_running must keep (1 to 10,000)', async () => {
      for (const array of [{ count: 10_001 }, { count: 2, max_running: 100_000 }]) {
        const answer = await api.command(['true'], { array });
        expect(answer.status).toBe(400);
        expect(answer.body.details).toEqual([
          {
            field: `array.${'max_running' in array ? 'max_running' : 'count'}`,
            message: expect.stringMatching(/must be a whole number from 1 to 10000$/),
          },
        ]);
      }
    });

    it('sets a job-type parameter named like a sweep key; one invalid job refuses the whole array', async () => {
      await api.call('POST', '/api/queue/scheduler', { enabled: false });
      const body = { job_type: 'training', requested_gpus: 0, job_params: { script: '/bin/true' } };
      const ok = await api.submit({ ...body, array: { sweep: { nproc_per_node: ['1', '2'] } } });
      expect(ok.status).toBe(201);
      const jobs = await arrayJobs(ok.body.array_id);
      expect(jobs.map((j) => (j.job_params as unknown as { nproc_per_node: number }).nproc_per_node)).toEqual(
        [1, 2],
      );
      await api.call('POST', `/api/arrays/${ok.body.array_id}/cancel`);
      await api.call('POST', '/api/queue/scheduler', { enabled: true });

      const before = (await api.call('GET', '/api/jobs?limit=1')).body.total;
      const bad = await api.submit({ ...body, array: { sweep: { nproc_per_node: ['1', '0'] } } });
      expect(bad.status).toBe(400);
      expect(bad.body.details).toEqual([
        {
          field: 'job_params.nproc_per_node',
          message: expect.stringMatching(/^array job 1 \(nproc_per_node=0\): /),
        },
      ]);
      expect((await api.call('GET', '/api/jobs?limit=1')).body.total).toBe(before);
      expect((await api.call('GET', '/api/jobs?array_id=bad')).status).toBe(400);
    });
  });
});
