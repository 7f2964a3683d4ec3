import type { Tx } from '@trainyard/database';
import { GPU_REPLAY_RULES } from './gpu-policy.replay';

/** Runs the rule for `type` against a Tx that records its upserts (and other statements). */
async function replay(type: string, payload: Record<string, unknown>): Promise<unknown[]> {
  const upserts: unknown[] = [];
  const tx = {
    upsert: async (_entity: unknown, row: unknown) => void upserts.push(row),
    query: async (sql: string, params: unknown[]) => void upserts.push({ sql, params }),
  } as unknown as Tx;
  const rule = GPU_REPLAY_RULES.find((r) => r.type === type);
  if (!rule) throw new Error(`no rule for ${type}`);
  await rule.apply(tx, payload);
  return upserts;
}

describe('gpu policy replay', () => {
  const at = '2030-01-01T00:00:00.000Z';

  it('reads a v1 min_priority of 0 (the old default, "everyone") as no gate, like the migration', async () => {
    expect(
      await replay('gpu.policy_changed.v1', {
        gpu_index: 1,
        disabled: true,
        min_priority: 0,
        updated_at: at,
      }),
    ).toEqual([{ gpu_index: 1, gpu_uuid: null, disabled: true, min_priority: null, updated_at: at }]);
    expect(
      await replay('gpu.policy_changed.v1', {
        gpu_index: 1,
        disabled: false,
        min_priority: -3,
        updated_at: at,
      }),
    ).toEqual([{ gpu_index: 1, gpu_uuid: null, disabled: false, min_priority: -3, updated_at: at }]);
  });

  it('stores v2 as given (no card: by index): 0 is a real gate there, null none', async () => {
    for (const gate of [0, null, 10]) {
      expect(
        await replay('gpu.policy_changed.v2', {
          gpu_index: 0,
          disabled: false,
          min_priority: gate,
          updated_at: at,
        }),
      ).toEqual([{ gpu_index: 0, gpu_uuid: null, disabled: false, min_priority: gate, updated_at: at }]);
    }
  });

  it('stores v3 with its card, in place of any other row of that card (it moved)', async () => {
    expect(
      await replay('gpu.policy_changed.v3', {
        gpu_index: 2,
        gpu_uuid: 'GPU-abc',
        disabled: true,
        min_priority: null,
        updated_at: at,
      }),
    ).toEqual([
      { sql: 'DELETE FROM gpu_policy WHERE gpu_uuid = ? AND gpu_index != ?', params: ['GPU-abc', 2] },
      { gpu_index: 2, gpu_uuid: 'GPU-abc', disabled: true, min_priority: null, updated_at: at },
    ]);
  });
});
