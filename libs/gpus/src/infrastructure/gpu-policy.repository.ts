import { Injectable } from '@nestjs/common';
import { Database, Tx } from '@trainyard/database';
import type { StoredGpuPolicy } from '../gpu-policy';
import { GpuPolicyEntity } from './gpu-policy.entity';

@Injectable()
export class GpuPolicyRepository {
  constructor(private readonly db: Database) {}

  /** Every stored policy, by GPU index (GPUs without one have the default). */
  async loadAll(): Promise<StoredGpuPolicy[]> {
    const rows = await this.db.manager.find(GpuPolicyEntity, { order: { gpu_index: 'ASC' } });
    return rows.map((row) => ({
      gpu_index: row.gpu_index,
      gpu_uuid: row.gpu_uuid ?? null,
      disabled: Boolean(row.disabled),
      min_priority: row.min_priority ?? null,
    }));
  }

  save(tx: Tx, policy: StoredGpuPolicy, updatedAt: string): Promise<void> {
    return storeGpuPolicy(tx, policy, updatedAt);
  }
}

/**
 * Stores `policy` as `withGpuPolicy` (gpu-policy.ts) says: in place of the one at its index and of
 * any other set on its card (the card moved). The live path and a replica's replay both write here.
 */
export async function storeGpuPolicy(tx: Tx, policy: StoredGpuPolicy, updatedAt: string): Promise<void> {
  const { gpu_index, gpu_uuid, disabled, min_priority } = policy;
  if (gpu_uuid !== null)
    await tx.query('DELETE FROM gpu_policy WHERE gpu_uuid = ? AND gpu_index != ?', [gpu_uuid, gpu_index]);
  await tx.upsert(GpuPolicyEntity, { gpu_index, gpu_uuid, disabled, min_priority, updated_at: updatedAt }, [
    'gpu_index',
  ]);
}
