import { Injectable } from '@nestjs/common';
import { Database, Tx } from '@trainyard/database';
import type { GpuPolicy } from '../gpu-policy';
import { GpuPolicyEntity } from './gpu-policy.entity';

@Injectable()
export class GpuPolicyRepository {
  constructor(private readonly db: Database) {}

  /** Every stored policy by GPU index (GPUs without a row have the default). */
  async loadAll(): Promise<Map<number, GpuPolicy>> {
    const rows = await this.db.manager.find(GpuPolicyEntity);
    return new Map(
      rows.map((row) => [
        row.gpu_index,
        { disabled: Boolean(row.disabled), min_priority: row.min_priority ?? null },
      ]),
    );
  }

  async save(tx: Tx, gpuIndex: number, policy: GpuPolicy, updatedAt: string): Promise<void> {
    await tx.upsert(
      GpuPolicyEntity,
      {
        gpu_index: gpuIndex,
        disabled: policy.disabled,
        min_priority: policy.min_priority,
        updated_at: updatedAt,
      },
      ['gpu_index'],
    );
  }
}
