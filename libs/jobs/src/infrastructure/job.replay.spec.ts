import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteDataSource, openDatabase } from '@trainyard/database';
import type { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../../migrations';
import { JobEntity } from './job.entity';
import { JOB_REPLAY_RULES } from './job.replay';

let dir: string;
let dataSource: DataSource;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trainyard-job-replay-'));
  dataSource = createSqliteDataSource({
    file: join(dir, 'db.sqlite'),
    entities: [JobEntity],
    migrations: MIGRATIONS,
  });
  await openDatabase(dataSource);
});
afterEach(async () => {
  await dataSource.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** Applies the rule for entry type `type` to the real database, in a transaction as replay does. */
async function apply(type: string, payload: Record<string, unknown>): Promise<void> {
  const rule = JOB_REPLAY_RULES.find((r) => r.type === type);
  if (!rule) throw new Error(`no rule for ${type}`);
  await dataSource.transaction((tx) => rule.apply(tx, payload));
}

/** Every job row, as stored (booleans read back as such). */
async function rows(): Promise<Array<Record<string, unknown>>> {
  const all: Array<Record<string, unknown>> = await dataSource.manager.query(
    'SELECT * FROM jobs ORDER BY seq',
  );
  return all.map((r) => ({ ...r, preemptible: r.preemptible === 1 }));
}

/** Applies `type`, resolves with the rows it made, and empties the table for the next call. */
async function replay(
  type: string,
  payload: Record<string, unknown>,
): Promise<Array<Record<string, unknown>>> {
  await apply(type, payload);
  const made = await rows();
  await dataSource.manager.query('DELETE FROM jobs');
  return made;
}

const entry = {
  queue_id: 'q_1_ab',
  job_type: 'command',
  name: null,
  priority: 0,
  requested_gpus: 1,
  job_params: { argv: ['true'] },
  cwd: '/tmp',
  env: {},
  submitted_at: '2030-01-01T00:00:00.000Z',
  idempotency_key: null,
  kill_grace_s: null,
};

describe('job replay: job.queued', () => {
  it('inserts a job from an older entry, written before time limits, with none', async () => {
    expect(await replay('job.queued.v1', entry)).toEqual([
      expect.objectContaining({ id: 'q_1_ab', status: 'queued', time_limit_s: null, seq: 1 }),
    ]);
  });

  it('inserts a job with its log cap (absent in older entries: the server default)', async () => {
    expect(await replay('job.queued.v1', entry)).toEqual([expect.objectContaining({ log_cap_bytes: null })]);
    expect(await replay('job.queued.v1', { ...entry, log_cap_bytes: 65536 })).toEqual([
      expect.objectContaining({ id: 'q_1_ab', log_cap_bytes: 65536 }),
    ]);
  });

  it('keeps the whole submit request an Idempotency-Key retry is compared with (absent in older entries: none)', async () => {
    expect(await replay('job.queued.v1', entry)).toEqual([
      expect.objectContaining({ idempotency_request: null }),
    ]);
    const request = { held: true, array: { count: 3, sweep: [], max_running: null } };
    expect(await replay('job.queued.v1', { ...entry, idempotency_request: request })).toEqual([
      expect.objectContaining({ idempotency_request: JSON.stringify(request) }),
    ]);
  });
  it('inserts a job as preemptible or not (absent in older entries: not), on its first attempt', async () => {
    expect(await replay('job.queued.v1', entry)).toEqual([
      expect.objectContaining({ preemptible: false, restart_count: 0, preempted_at: null }),
    ]);
    expect(await replay('job.queued.v1', { ...entry, preemptible: true })).toEqual([
      expect.objectContaining({ preemptible: true, restart_count: 0 }),
    ]);
  });

  it('inserts a job with its time limit', async () => {
    expect(await replay('job.queued.v1', { ...entry, time_limit_s: 7200 })).toEqual([
      expect.objectContaining({ id: 'q_1_ab', status: 'queued', time_limit_s: 7200 }),
    ]);
  });
});

describe('job replay: job.preempted', () => {
  it('sets a terminating job queued again with its attempt count and note, run fields cleared', async () => {
    await apply('job.queued.v1', entry);
    await dataSource.manager.query(
      `UPDATE jobs SET status = 'terminating', started_at = '2030-01-01T00:00:01.000Z', gpu_indices = '[0]', pid = 4242, termination_reason = 'preempted' WHERE id = 'q_1_ab'`,
    );
    await apply('job.preempted.v1', {
      queue_id: 'q_1_ab',
      restart_count: 2,
      preempted_at: '2030-01-01T00:00:00.000Z',
      error: 'preempted by q_2_cd (priority 10); requeued',
      exit_code: 0,
    });
    expect(await rows()).toEqual([
      expect.objectContaining({
        status: 'queued',
        restart_count: 2,
        preempted_at: '2030-01-01T00:00:00.000Z',
        error: 'preempted by q_2_cd (priority 10); requeued',
        started_at: null,
        gpu_indices: '[]',
        pid: null,
        termination_reason: null,
      }),
    ]);
  });

  it('refuses a job that is not terminating, and leaves it as it is', async () => {
    await apply('job.queued.v1', entry);
    const preempted = apply('job.preempted.v1', {
      queue_id: 'q_1_ab',
      restart_count: 2,
      preempted_at: '2030-01-01T00:00:00.000Z',
      error: 'preempted',
      exit_code: 0,
    });
    await expect(preempted).rejects.toThrow(/no job q_1_ab in terminating/);
    expect(await rows()).toEqual([
      expect.objectContaining({ status: 'queued', restart_count: 0, error: null }),
    ]);
  });
});

describe('job replay: job.finished', () => {
  const finished = {
    queue_id: 'q_1_ab',
    status: 'aborted',
    exit_code: 143,
    error: 'preempted; cancelled before attempt 2',
    termination_reason: 'user_abort',
    ended_at: '2030-01-01T00:00:09.000Z',
  };

  it('ends a requeued job cancelled while queued (aborted), as the live cancel does', async () => {
    await apply('job.queued.v1', entry);
    await dataSource.manager.query(`UPDATE jobs SET restart_count = 1 WHERE id = 'q_1_ab'`);
    await apply('job.finished.v1', finished);
    expect(await rows()).toEqual([
      expect.objectContaining({ status: 'aborted', termination_reason: 'user_abort', exit_code: 143 }),
    ]);
  });

  it('refuses to end a queued job done: only an active job gets there', async () => {
    await apply('job.queued.v1', entry);
    await expect(apply('job.finished.v1', { ...finished, status: 'done' })).rejects.toThrow(
      /no job q_1_ab in/,
    );
    expect(await rows()).toEqual([expect.objectContaining({ status: 'queued' })]);
  });
});

describe('job replay: job.priority_changed', () => {
  const changed = {
    queue_id: 'q_1_ab',
    priority: 7,
    previous_priority: 0,
    changed_at: '2030-01-01T00:00:05.000Z',
  };

  it("sets a queued job's priority, keeping its submit order (seq) and submit time", async () => {
    await apply('job.queued.v1', entry);
    await apply('job.priority_changed.v1', changed);
    expect(await rows()).toEqual([
      expect.objectContaining({
        id: 'q_1_ab',
        status: 'queued',
        priority: 7,
        seq: 1,
        submitted_at: '2030-01-01T00:00:00.000Z',
      }),
    ]);
  });

  it('refuses a job that is no longer queued, and leaves its priority as it is', async () => {
    await apply('job.queued.v1', entry);
    await dataSource.manager.query(`UPDATE jobs SET status = 'running' WHERE id = 'q_1_ab'`);
    await expect(apply('job.priority_changed.v1', changed)).rejects.toThrow(/no job q_1_ab in queued/);
    expect(await rows()).toEqual([expect.objectContaining({ status: 'running', priority: 0 })]);
  });
});

describe('job replay: job.held and job.released', () => {
  const held = { queue_id: 'q_1_ab', held_at: '2030-01-01T00:00:05.000Z' };
  const released = { queue_id: 'q_1_ab', released_at: '2030-01-01T00:00:09.000Z' };

  it('holds a queued job and releases it, keeping its submit order (seq) and submit time', async () => {
    await apply('job.queued.v1', entry);
    expect(await rows()).toEqual([expect.objectContaining({ held: 0 })]);
    await apply('job.held.v1', held);
    expect(await rows()).toEqual([
      expect.objectContaining({
        id: 'q_1_ab',
        status: 'queued',
        held: 1,
        seq: 1,
        submitted_at: '2030-01-01T00:00:00.000Z',
      }),
    ]);
    await apply('job.released.v1', released);
    expect(await rows()).toEqual([expect.objectContaining({ status: 'queued', held: 0, seq: 1 })]);
  });

  it('keeps when the hold began, and sets on release the time held that aging leaves out', async () => {
    await apply('job.queued.v1', entry);
    await apply('job.held.v1', held);
    expect(await rows()).toEqual([expect.objectContaining({ held: 1, held_at: held.held_at, held_ms: 0 })]);
    await apply('job.released.v1', { ...released, held_ms: 4000 });
    expect(await rows()).toEqual([expect.objectContaining({ held: 0, held_at: null, held_ms: 4000 })]);
    // An entry from before held_ms was journaled leaves the row's.
    await apply('job.held.v1', held);
    await apply('job.released.v1', released);
    expect(await rows()).toEqual([expect.objectContaining({ held: 0, held_at: null, held_ms: 4000 })]);
  });

  it('refuses a job that is no longer queued, and leaves it as it is', async () => {
    await apply('job.queued.v1', entry);
    await dataSource.manager.query(`UPDATE jobs SET status = 'running' WHERE id = 'q_1_ab'`);
    await expect(apply('job.held.v1', held)).rejects.toThrow(/no job q_1_ab in queued/);
    await expect(apply('job.released.v1', released)).rejects.toThrow(/no job q_1_ab in queued/);
    expect(await rows()).toEqual([expect.objectContaining({ status: 'running', held: 0 })]);
  });
});
