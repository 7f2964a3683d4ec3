import { Injectable } from '@nestjs/common';
import { Database, Tx } from '@trainyard/database';
import { type StoredGpuPolicy, withGpuPolicy } from '../gpu-policy';
import { GpuPolicyEntity } from './gpu-policy.entity';

@Injectable()
export class GpuPolicyRepository {
  constructor(private readonly db: Database) {}

  /** Every stored policy, by GPU index (GPUs without one have the default). */
  loadAll(): Promise<StoredGpuPolicy[]> {
    return readGpuPolicies(this.db.manager);
  }

  save(tx: Tx, policy: StoredGpuPolicy, updatedAt: string): Promise<void> {
    return storeGpuPolicy(tx, policy, updatedAt);
  }
}

async function readGpuPolicies(manager: Tx): Promise<StoredGpuPolicy[]> {
  const rows = await manager.find(GpuPolicyEntity, { order: { gpu_index: 'ASC' } });
  return rows.map((row) => ({
    gpu_index: row.gpu_index,
    gpu_uuid: row.gpu_uuid ?? null,
    disabled: Boolean(row.disabled),
    min_priority: row.min_priority ?? null,
  }));
}

/**
 * Stores `policy` as `withGpuPolicy` (gpu-policy.ts, the one rule) says: in place of the one at its
 * index and of any other set on its card (the card moved). The live path and a replica's replay both
 * write here.
 */
export async function storeGpuPolicy(tx: Tx, policy: StoredGpuPolicy, updatedAt: string): Promise<void> {
  const stored = await readGpuPolicies(tx);
  const kept = new Set(withGpuPolicy(stored, policy).map((p) => p.gpu_index));
  for (const { gpu_index } of stored)
    if (!kept.has(gpu_index)) await tx.delete(GpuPolicyEntity, { gpu_index });
  const { gpu_index, gpu_uuid, disabled, min_priority } = policy;
  await tx.upsert(GpuPolicyEntity, { gpu_index, gpu_uuid, disabled, min_priority, updated_at: updatedAt }, [
    'gpu_index',
  ]);
}
