import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteDataSource, openDatabase } from '@trainyard/database';
import type { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../../migrations';
import { type StoredGpuPolicy, withGpuPolicy } from '../gpu-policy';
import { GpuPolicyEntity } from './gpu-policy.entity';
import { GPU_REPLAY_RULES } from './gpu-policy.replay';
import { storeGpuPolicy } from './gpu-policy.repository';

let dir: string;
let dataSource: DataSource;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trainyard-gpu-policy-'));
  dataSource = createSqliteDataSource({
    file: join(dir, 'db.sqlite'),
    entities: [GpuPolicyEntity],
    migrations: MIGRATIONS,
  });
  await openDatabase(dataSource);
});
afterEach(async () => {
  await dataSource.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const at = '2030-01-01T00:00:00.000Z';

/** Applies the rule for entry type `type` to the real database, in a transaction as replay does. */
async function replay(type: string, payload: Record<string, unknown>): Promise<void> {
  const rule = GPU_REPLAY_RULES.find((r) => r.type === type);
  if (!rule) throw new Error(`no rule for ${type}`);
  await dataSource.transaction((tx) => rule.apply(tx, payload));
}

/** Every stored row, by index, booleans read back as such. */
async function rows(): Promise<Array<Record<string, unknown>>> {
  const all: Array<Record<string, unknown>> = await dataSource.query(
    'SELECT gpu_index, gpu_uuid, disabled, min_priority, updated_at FROM gpu_policy ORDER BY gpu_index',
  );
  return all.map((r) => ({ ...r, disabled: r.disabled === 1 }));
}

describe('gpu policy replay', () => {
  it('reads a v1 min_priority of 0 (the old default, "everyone") as no gate, like the migration', async () => {
    await replay('gpu.policy_changed.v1', { gpu_index: 1, disabled: true, min_priority: 0, updated_at: at });
    expect(await rows()).toEqual([
      { gpu_index: 1, gpu_uuid: null, disabled: true, min_priority: null, updated_at: at },
    ]);
    await replay('gpu.policy_changed.v1', {
      gpu_index: 1,
      disabled: false,
      min_priority: -3,
      updated_at: at,
    });
    expect(await rows()).toEqual([
      { gpu_index: 1, gpu_uuid: null, disabled: false, min_priority: -3, updated_at: at },
    ]);
  });

  it('stores v2 as given (no card: by index): 0 is a real gate there, null none', async () => {
    for (const gate of [0, null, 10]) {
      await replay('gpu.policy_changed.v2', {
        gpu_index: 0,
        disabled: false,
        min_priority: gate,
        updated_at: at,
      });
      expect(await rows()).toEqual([
        { gpu_index: 0, gpu_uuid: null, disabled: false, min_priority: gate, updated_at: at },
      ]);
    }
  });

  it('stores v3 with its card, in place of any other row of that card (it moved)', async () => {
    await replay('gpu.policy_changed.v3', {
      gpu_index: 0,
      gpu_uuid: 'GPU-abc',
      disabled: false,
      min_priority: 5,
      updated_at: at,
    });
    await replay('gpu.policy_changed.v3', {
      gpu_index: 2,
      gpu_uuid: 'GPU-abc',
      disabled: true,
      min_priority: null,
      updated_at: at,
    });
    expect(await rows()).toEqual([
      { gpu_index: 2, gpu_uuid: 'GPU-abc', disabled: true, min_priority: null, updated_at: at },
    ]);
  });
});

describe(storeGpuPolicy.name, () => {
  it('leaves exactly the policies withGpuPolicy (the rule the live inventory follows) says, change after change', async () => {
    // Cards moving between indexes, policies with and without a card, one index taken by another card.
    const changes: StoredGpuPolicy[] = [
      { gpu_index: 0, gpu_uuid: 'GPU-a', disabled: true, min_priority: null },
      { gpu_index: 1, gpu_uuid: null, disabled: false, min_priority: 3 },
      { gpu_index: 2, gpu_uuid: 'GPU-b', disabled: false, min_priority: 0 },
      { gpu_index: 1, gpu_uuid: 'GPU-a', disabled: false, min_priority: 7 }, // a moved to 1
      { gpu_index: 0, gpu_uuid: 'GPU-b', disabled: true, min_priority: 1 }, // b moved to 0
      { gpu_index: 3, gpu_uuid: null, disabled: true, min_priority: null },
      { gpu_index: 3, gpu_uuid: 'GPU-c', disabled: false, min_priority: -2 },
      { gpu_index: 1, gpu_uuid: null, disabled: true, min_priority: null }, // by index over a's
      { gpu_index: 2, gpu_uuid: 'GPU-c', disabled: false, min_priority: null }, // c moved to 2
    ];
    let expected: StoredGpuPolicy[] = [];
    for (const change of changes) {
      await dataSource.transaction((tx) => storeGpuPolicy(tx, change, at));
      expected = withGpuPolicy(expected, change);
      expect((await rows()).map(({ updated_at: _, ...policy }) => policy)).toEqual(expected);
    }
  });
});
