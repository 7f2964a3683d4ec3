import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { Database, openDatabase } from '@trainyard/database';
import { type JournalEntry, ReplayMismatchError } from '@trainyard/journal';
import { createClient, createConfig, listJournal } from '@trainyard/sdk';
import { journalReplayer } from '../apps/server/src/journal-replay';
import { buildDataSource } from '../apps/server/src/persistence';
import { jobsApi } from './support/api';
import type { Answer } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { makeTempHome } from './support/temp-home';

/**
 * The replicated tables and their keys. Every column is compared, pid and proc_start_time included:
 * they name a process on the origin node (useless elsewhere) but are carried so rows stay equal.
 * Not compared: `sessions` (credentials of this node, never journaled), `journal` itself, and the
 * runs' ingest-token columns (secrets of this node, never journaled) and `logged` (derived from the
 * run's points, which are telemetry and not journaled).
 */
const REPLICATED = {
  jobs: 'id',
  gpu_policy: 'gpu_index',
  scheduler_state: 'id',
  search_roots: 'path',
  runs: 'run_id',
} as const;
const NOT_REPLICATED_COLUMNS: Partial<Record<keyof typeof REPLICATED, string[]>> = {
  runs: ['token_hash', 'token_expires_at', 'logged'],
};

describe('journal replay (e2e, real server, real SQLite files)', () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  let replicaHome: ReturnType<typeof makeTempHome>;
  let replica: DataSource;
  let entries: JournalEntry[];
  let trapping: string;
  let leftover: string;
  let retried: string;

  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '2'] });
    api = jobsApi(server.baseUrl, server.token);
    replicaHome = makeTempHome('trainyard-replica-');

    // A mixed workload: policy changes, jobs ending every way, cancel, delete, cleanup, pause/resume.
    const ok = (answer: Answer) => {
      if (answer.status >= 300) throw new Error(`${answer.status}: ${answer.text}`);
      return answer;
    };
    ok(await api.call('POST', '/api/gpus/1/policy', { min_priority: 5 }));
    ok(await api.call('POST', '/api/gpus/0/policy', { disabled: true }));
    ok(await api.call('POST', '/api/gpus/0/policy', { disabled: false }));
    expect((await api.call('POST', '/api/auth/login', { password: 'wrong' })).status).toBe(401);
    ok(await api.call('POST', '/api/search-roots', { path: replicaHome.home }));
    ok(
      await api.call('POST', '/api/search-roots', {
        path: join(replicaHome.home, 'made', 'here'),
        create: true,
      }),
    );
    ok(await api.call('DELETE', `/api/search-roots?path=${encodeURIComponent(replicaHome.home)}`));

    const failedEarly = ok(await api.command(['sh', '-c', 'exit 3'])).body.queue_id;
    const doneEarly = ok(await api.command(['true'], { requested_gpus: 1 })).body.queue_id;
    await api.waitStatus(failedEarly, ['failed']);
    await api.waitStatus(doneEarly, ['done']);
    expect(ok(await api.call('POST', '/api/jobs/cleanup')).body.deleted).toEqual(
      expect.arrayContaining([failedEarly, doneEarly]),
    );

    const full = ok(
      await api.command(['sh', '-c', 'echo "$GREETING from $(pwd)"'], {
        name: 'everything set',
        env: { GREETING: 'hello' },
        cwd: replicaHome.home,
        priority: 7,
        requested_gpus: 1,
      }),
    ).body.queue_id;
    // It fails once its dependent below is queued (a dependency that failed already is refused).
    const gate = join(replicaHome.home, 'failed-gate');
    const failed = ok(
      await api.command(['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.05; done; exit 4`], {
        priority: -2,
      }),
    ).body.queue_id;
    const deleted = ok(await api.command(['true'])).body.queue_id;
    // A dependency that fails ends its dependent aborted / dependency_failed; an array of two.
    const blocked = ok(await api.command(['true'], { depends_on: [{ queue_id: failed }] })).body.queue_id;
    writeFileSync(gate, '');
    const array = ok(
      await api.command(['echo', '{n}'], { array: { sweep: { n: ['a', 'b'] }, max_running: 1 } }),
    ).body.array_id;
    await api.waitStatus(full, ['done']);
    await api.waitStatus(failed, ['failed']);
    await api.waitStatus(blocked, ['aborted']);
    for (const job of (await api.call('GET', `/api/jobs?array_id=${array}`)).body.items)
      await api.waitStatus(job.queue_id, ['done']);
    await api.waitStatus(deleted, ['done']);
    ok(await api.call('DELETE', `/api/jobs/${deleted}`));
    // A failed array job retried: its copy names it.
    const flaky = ok(await api.command(['sh', '-c', 'exit 5'], { array: { count: 1 } })).body;
    retried = flaky.queue_id;
    await api.waitStatus(retried, ['failed']);
    const retry = ok(await api.call('POST', `/api/arrays/${flaky.array_id}/retry`)).body.jobs[0].queue_id;
    await api.waitStatus(retry, ['failed']);

    ok(await api.call('POST', '/api/queue/scheduler', { enabled: false }));
    const cancelled = ok(await api.command(['true'])).body.queue_id;
    const afterResume = ok(await api.command(['true'], { requested_gpus: 2, priority: 5 })).body.queue_id;
    ok(await api.call('DELETE', `/api/queue/${cancelled}`));
    // Its priority changed while it waits (PATCH /api/queue/{id}): the replica has the new one.
    ok(await api.call('PATCH', `/api/queue/${afterResume}`, { priority: 6 }));
    // Held and released while it waits: the replica's row is not held either, and has the time it
    // was held (held_ms, left out of its aging) from the release's entry.
    ok(await api.call('POST', `/api/queue/${afterResume}/hold`));
    await new Promise((r) => setTimeout(r, 50));
    ok(await api.call('POST', `/api/queue/${afterResume}/release`));
    ok(await api.call('POST', '/api/queue/scheduler', { enabled: true }));
    await api.waitStatus(afterResume, ['done']);

    // Preempted (SIGTERM ends its first attempt), requeued, then its second attempt ends at once.
    const preemptible = ok(
      await api.command(['sh', '-c', '[ "$TRAINYARD_RESTART_COUNT" != 0 ] || exec sleep 30'], {
        requested_gpus: 1,
        preemptible: true,
      }),
    ).body.queue_id;
    await api.waitStatus(preemptible, ['running']);
    const preemptor = ok(await api.command(['true'], { requested_gpus: 2, priority: 10 })).body.queue_id;
    await api.waitStatus(preemptor, ['done'], 15_000);
    await api.waitStatus(preemptible, ['done'], 15_000);

    const killed = ok(await api.command(['sleep', '30'], { requested_gpus: 1 })).body.queue_id;
    await api.waitStatus(killed, ['running']);
    ok(await api.call('POST', `/api/jobs/${killed}/control/kill`));
    await api.waitStatus(killed, ['aborted']);
    // Its run, deleted once the job has ended: the replica's row goes too.
    const killedRun = ok(await api.call('GET', `/api/runs?job=${killed}`)).body[0].run_id;
    expect((await api.call('DELETE', `/api/runs/${killedRun}`)).status).toBe(204);

    // Ignores SIGTERM, with a long grace: the kill leaves it terminating (user_abort), GPU still held.
    trapping = ok(
      await api.command(['sh', '-c', 'trap "" TERM; echo ready; sleep 30'], {
        requested_gpus: 1,
        kill_grace_s: 600,
        time_limit_s: 3600,
      }),
    ).body.queue_id;
    await api.waitLog(trapping, /ready/); // running is not enough: a SIGTERM before the trap just kills it
    await api.waitStatus(trapping, ['running']); // nor the log: its pid may not have reached the server yet
    expect(ok(await api.call('POST', `/api/jobs/${trapping}/control/kill`)).body.survivors).not.toHaveLength(
      0,
    );

    // Its command ends (exit 3) leaving a process that ignores SIGTERM: terminating, with the command's code.
    leftover = ok(
      await api.command(['sh', '-c', `(setsid sh -c "trap '' TERM; sleep 30" &); exit 3`], {
        kill_grace_s: 600,
      }),
    ).body.queue_id;
    expect(await api.waitStatus(leftover, ['terminating'])).toMatchObject({ exit_code: 3 });

    ok(await api.call('POST', '/api/queue/scheduler', { enabled: false }));
    const queued = { job_type: 'command', job_params: { argv: ['true'] }, name: 'still queued' };
    const stillQueued = ok(await api.submit(queued, { 'Idempotency-Key': 'replay-queued' })).body.queue_id;
    // Held: the replica's row is held too.
    ok(await api.call('POST', `/api/queue/${stillQueued}/hold`));
    // Submitted held (job.queued.v1 then job.held.v1 in one commit), a lone job and an array.
    ok(await api.command(['true'], { name: 'submitted held', held: true }));
    ok(await api.command(['true'], { name: 'array held', held: true, array: { count: 2 } }));

    // Read the journal through the SDK, page by page, as a replica would.
    const client = createClient(
      createConfig({
        baseUrl: server.baseUrl,
        auth: (s) => (s.scheme === 'bearer' ? server.token : undefined),
      }),
    );
    entries = [];
    for (let after = 0; ;) {
      const { data } = await listJournal({ client, query: { after_seq: after, limit: 7 } });
      entries.push(...data.items);
      if (data.next_cursor === null) break;
      after = Number(data.next_cursor);
    }

    replica = buildDataSource(join(replicaHome.home, 'replica.db'));
    await openDatabase(replica); // the real migrations, into an empty file
    await replica.transaction((tx) => journalReplayer().apply(tx, entries));
  }, 60_000);

  afterAll(async () => {
    if (trapping) await api.call('POST', `/api/jobs/${trapping}/control/force-kill`);
    if (leftover) await api.call('POST', `/api/jobs/${leftover}/control/force-kill`);
    await replica?.destroy();
    await server?.close(true);
    replicaHome?.remove();
  });

  const rows = async (db: DataSource, table: keyof typeof REPLICATED) => {
    const all = await db.query<Record<string, unknown>[]>(
      `SELECT * FROM ${table} ORDER BY ${REPLICATED[table]}`,
    );
    const skip = NOT_REPLICATED_COLUMNS[table] ?? [];
    return all.map((row) =>
      Object.fromEntries(Object.entries(row).filter(([column]) => !skip.includes(column))),
    );
  };

  it.each(Object.keys(REPLICATED) as (keyof typeof REPLICATED)[])(
    'yields the same %s rows as the live database, column by column',
    async (table) => {
      const live = await rows(server.app.get(Database).dataSource, table);
      expect(live.length).toBeGreaterThan(0);
      expect(await rows(replica, table)).toEqual(live);
    },
  );

  it('keeps the per-status totals the job list reads (triggers on jobs) equal to a count of the rows, live and replayed', async () => {
    for (const db of [server.app.get(Database).dataSource, replica]) {
      const kept = await db.query('SELECT status, n FROM job_status_counts WHERE n != 0 ORDER BY status');
      const counted = await db.query(
        'SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status',
      );
      expect(counted.length).toBeGreaterThan(3); // inserts, status changes, a requeue and deletes ran
      expect(kept).toEqual(counted);
    }
  });

  it('covered every kind of change (so the comparison above is not vacuous)', async () => {
    const jobs = await rows(replica, 'jobs');
    expect(jobs.map((j) => j.status).sort()).toEqual([
      'aborted',
      'aborted',
      'done',
      'done',
      'done',
      'done',
      'done',
      'done',
      'failed',
      'failed',
      'failed',
      'queued',
      'queued',
      'queued',
      'queued',
      'terminating',
      'terminating',
    ]);
    // The command ended, its leftover is being stopped: the command's own code is replayed too.
    expect(jobs).toContainEqual(
      expect.objectContaining({ status: 'terminating', termination_reason: null, exit_code: 3 }),
    );
    expect(jobs).toContainEqual(
      expect.objectContaining({
        name: 'everything set',
        env: JSON.stringify({ GREETING: 'hello' }),
        cwd: replicaHome.home,
        priority: 7,
        gpu_indices: expect.stringMatching(/^\[[01]\]$/),
        exit_code: 0,
      }),
    );
    expect(jobs).toContainEqual(
      expect.objectContaining({
        status: 'terminating',
        termination_reason: 'user_abort',
        termination_requested_at: expect.any(String),
        kill_grace_s: 600,
        time_limit_s: 3600,
      }),
    );
    expect(jobs).toContainEqual(expect.objectContaining({ idempotency_key: 'replay-queued', held: 1 }));
    expect(jobs.filter((j) => j.held === 1 && j.status === 'queued').map((j) => j.name)).toEqual(
      expect.arrayContaining(['submitted held', 'array held [0]', 'array held [1]']),
    );
    expect(jobs).toContainEqual(
      expect.objectContaining({
        termination_reason: 'dependency_failed',
        depends_on: expect.stringContaining('after_ok'),
      }),
    );
    expect(jobs).toContainEqual(expect.objectContaining({ array_index: 1, array_max_running: 1 }));
    expect(jobs).toContainEqual(expect.objectContaining({ retry_of: retried }));
    expect(jobs).toContainEqual(
      expect.objectContaining({
        requested_gpus: 2,
        status: 'done',
        priority: 6,
        held_ms: expect.any(Number),
      }),
    );
    expect(jobs.find((j) => j.priority === 6)!.held_ms).toBeGreaterThanOrEqual(50);
    expect(jobs).toContainEqual(
      expect.objectContaining({ idempotency_key: 'replay-queued', held_at: expect.any(String) }),
    );
    expect(jobs).toContainEqual(
      expect.objectContaining({ preemptible: 1, restart_count: 1, preempted_at: expect.any(String) }),
    );
    expect(new Set(entries.map((e) => e.type))).toEqual(
      new Set([
        'gpu.policy_changed.v3',
        'auth.login_failed.v1',
        'job.queued.v1',
        'job.starting.v1',
        'job.started.v1',
        'job.finished.v1',
        'job.deleted.v1',
        'job.cancelled.v1',
        'job.priority_changed.v1',
        'job.held.v1',
        'job.released.v1',
        'job.dependency_failed.v1',
        'job.terminating.v1',
        'job.preempted.v1',
        'run.created.v1',
        'run.status_changed.v1',
        'run.deleted.v1',
        'scheduler.toggled.v1',
        'fs.search_root_added.v1',
        'fs.search_root_removed.v1',
      ]),
    );
  });

  it('refuses entries that do not apply, out of order, or of an unknown type, naming the entry', async () => {
    const other = buildDataSource(join(replicaHome.home, 'other.db'));
    await openDatabase(other);
    try {
      const replay = (list: JournalEntry[]) => other.transaction((tx) => journalReplayer().apply(tx, list));
      const firstQueued = entries.findIndex((e) => e.type === 'job.queued.v1');
      const withoutIt = entries.filter((_, i) => i !== firstQueued);
      await expect(replay(withoutIt)).rejects.toThrow(ReplayMismatchError);
      await expect(replay(withoutIt)).rejects.toThrow(
        /journal entry seq \d+ \(job\.starting\.v1\) does not apply/,
      );
      // A job's submit (it applies to an empty database), then the entries from the first on again.
      await expect(replay([entries[firstQueued], ...entries])).rejects.toThrow(/out of order/);
      await expect(replay([{ ...entries[0], type: 'job.queued' }])).rejects.toThrow(
        /unknown type job\.queued/,
      );
      // Each failed replay rolled back: the database is still empty.
      expect(await other.query('SELECT count(*) AS n FROM jobs')).toEqual([{ n: 0 }]);
    } finally {
      await other.destroy();
    }
  });
});
