import { join } from 'node:path';
import { GpuPolicyNullableGate1796007100000 } from '../migrations/1796007100000-gpu-policy-nullable-gate';
import { databaseBefore, migrateToCurrent } from './support/migrations';
import { makeTempHome } from './support/temp-home';

describe('migration GpuPolicyNullableGate (real SQLite file)', () => {
  const temp = makeTempHome();
  afterAll(() => temp.remove());

  it('turns the old default gate 0 into no gate and keeps every other row as it was', async () => {
    const file = join(temp.home, 'gpu-policy.db');
    const old = await databaseBefore(file, GpuPolicyNullableGate1796007100000);
    await old.query(
      `INSERT INTO gpu_policy (gpu_index, disabled, min_priority, updated_at) VALUES
       (0, 1, 0, 't0'), (1, 0, 10, 't1'), (2, 0, -4, 't2')`,
    );
    await old.destroy();

    const current = await migrateToCurrent(file);
    expect(await current.query('SELECT * FROM gpu_policy ORDER BY gpu_index')).toEqual([
      // gpu_uuid (a later migration): NULL for rows stored before it, which apply by index as they did.
      { gpu_index: 0, gpu_uuid: null, disabled: 1, min_priority: null, updated_at: 't0' },
      { gpu_index: 1, gpu_uuid: null, disabled: 0, min_priority: 10, updated_at: 't1' },
      { gpu_index: 2, gpu_uuid: null, disabled: 0, min_priority: -4, updated_at: 't2' },
    ]);
    await current.destroy();
  });
});
