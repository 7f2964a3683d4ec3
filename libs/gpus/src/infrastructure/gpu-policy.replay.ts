import { auditOnly, replayRule, type ReplayRule } from '@trainyard/journal';
import { GpuPolicyChangedEvent, GpuPolicyChangedV1Event, GpuProcessesKilledEvent } from '../gpus.events';
import { GpuPolicyEntity } from './gpu-policy.entity';

/** How `gpu.*` entries change a replica's `gpu_policy` rows (the same upsert as the live path). */
export const GPU_REPLAY_RULES: readonly ReplayRule[] = [
  replayRule(GpuPolicyChangedV1Event, async (tx, e) => {
    const { gpu_index, disabled, min_priority, updated_at } = e;
    // v1's 0 was the default, "everyone": no gate (see the v1 class).
    const gate = min_priority === 0 ? null : min_priority;
    await tx.upsert(GpuPolicyEntity, { gpu_index, disabled, min_priority: gate, updated_at }, ['gpu_index']);
  }),
  replayRule(GpuPolicyChangedEvent, async (tx, e) => {
    const { gpu_index, disabled, min_priority, updated_at } = e;
    await tx.upsert(GpuPolicyEntity, { gpu_index, disabled, min_priority, updated_at }, ['gpu_index']);
  }),
  auditOnly(GpuProcessesKilledEvent),
];
