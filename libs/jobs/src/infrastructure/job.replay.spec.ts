import type { Tx } from '@trainyard/database';
import { JOB_REPLAY_RULES } from './job.replay';

/** Runs the rule for `type` against a Tx that records its inserts. */
async function replay(
  type: string,
  payload: Record<string, unknown>,
): Promise<Array<Record<string, unknown>>> {
  const inserts: Array<Record<string, unknown>> = [];
  const tx = {
    query: async () => [{ next: 1 }],
    insert: async (_entity: unknown, row: Record<string, unknown>) => void inserts.push(row),
  } as unknown as Tx;
  const rule = JOB_REPLAY_RULES.find((r) => r.type === type);
  if (!rule) throw new Error(`no rule for ${type}`);
  await rule.apply(tx, payload);
  return inserts;
}

describe('job replay: job.queued', () => {
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
    const updates: Array<{ where: unknown; changes: Record<string, unknown> }> = [];
    const tx = {
      update: async (_entity: unknown, where: unknown, changes: Record<string, unknown>) => {
        updates.push({ where, changes });
        return { affected: 1 };
      },
    } as unknown as Tx;
    const rule = JOB_REPLAY_RULES.find((r) => r.type === 'job.preempted.v1')!;
    await rule.apply(tx, {
      queue_id: 'q_1_ab',
      restart_count: 2,
      preempted_at: '2030-01-01T00:00:00.000Z',
      error: 'preempted by q_2_cd (priority 10); requeued',
      exit_code: 0,
    });
    expect(updates).toEqual([
      {
        where: expect.objectContaining({ id: 'q_1_ab' }),
        changes: expect.objectContaining({
          status: 'queued',
          restart_count: 2,
          preempted_at: '2030-01-01T00:00:00.000Z',
          error: 'preempted by q_2_cd (priority 10); requeued',
          started_at: null,
          gpu_indices: '[]',
          pid: null,
          termination_reason: null,
        }),
      },
    ]);
    expect(JSON.stringify((updates[0].where as { status: unknown }).status)).toContain('terminating');
  });
});
