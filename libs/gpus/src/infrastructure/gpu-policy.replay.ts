import { auditOnly, replayRule, type ReplayRule } from '@trainyard/journal';
import { GpuPolicyChangedEvent, GpuProcessesKilledEvent } from '../gpus.events';
import { GpuPolicyEntity } from './gpu-policy.entity';

/** How `gpu.*` entries change a replica's `gpu_policy` rows (the same upsert as the live path). */
export const GPU_REPLAY_RULES: readonly ReplayRule[] = [
  replayRule(GpuPolicyChangedEvent, async (tx, e) => {
    const { gpu_index, disabled, min_priority, updated_at } = e;
    await tx.upsert(GpuPolicyEntity, { gpu_index, disabled, min_priority, updated_at }, ['gpu_index']);
  }),
  auditOnly(GpuProcessesKilledEvent),
];
