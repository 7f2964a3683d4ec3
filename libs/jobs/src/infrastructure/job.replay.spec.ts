import type { Tx } from '@trainyard/database';
import { JOB_REPLAY_RULES } from './job.replay';

/** Runs the rule for `type` against a Tx that records its inserts. */
async function replay(type: string, payload: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const inserts: Record<string, unknown>[] = [];
  const tx = {
    query: async () => [{ next: 1 }],
    insert: async (_entity: unknown, row: Record<string, unknown>) => void inserts.push(row),
  } as unknown as Tx;
  const rule = JOB_REPLAY_RULES.find((r) => r.type === type);
  if (!rule) throw new Error(`no rule for ${type}`);
  await rule.apply(tx, payload);
  return inserts;
}

describe('job queued replay', () => {
  const queued = {
    queue_id: 'q_1700000000000_0123abcd',
    job_type: 'command',
    name: null,
    priority: 0,
    requested_gpus: 0,
    job_params: { argv: ['true'] },
    cwd: '/tmp',
    env: {},
    submitted_at: '2030-01-01T00:00:00.000Z',
    idempotency_key: null,
    kill_grace_s: null,
  };

  it('replays a v1 entry (before log caps) with the server default cap', async () => {
    expect(await replay('job.queued.v1', queued)).toEqual([
      expect.objectContaining({ id: queued.queue_id, status: 'queued', log_cap_bytes: null }),
    ]);
  });

  it('replays a v2 entry with its own cap', async () => {
    expect(await replay('job.queued.v2', { ...queued, log_cap_bytes: 65536 })).toEqual([
      expect.objectContaining({ id: queued.queue_id, log_cap_bytes: 65536 }),
    ]);
  });
});
