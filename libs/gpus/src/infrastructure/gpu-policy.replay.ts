import { auditOnly, replayRule, type ReplayRule } from '@trainyard/journal';
import {
  GpuPolicyChangedEvent,
  GpuPolicyChangedV1Event,
  GpuPolicyChangedV2Event,
  GpuProcessesKilledEvent,
} from '../gpus.events';
import { GpuPolicyEntity } from './gpu-policy.entity';
import { storeGpuPolicy } from './gpu-policy.repository';

/** How `gpu.*` entries change a replica's `gpu_policy` rows (the same upsert as the live path). */
export const GPU_REPLAY_RULES: readonly ReplayRule[] = [
  replayRule(GpuPolicyChangedV1Event, async (tx, e) => {
    const { gpu_index, disabled, min_priority, updated_at } = e;
    // v1's 0 was the default, "everyone": no gate (see the v1 class).
    const gate = min_priority === 0 ? null : min_priority;
    await tx.upsert(
      GpuPolicyEntity,
      { gpu_index, gpu_uuid: null, disabled, min_priority: gate, updated_at },
      ['gpu_index'],
    );
  }),
  replayRule(GpuPolicyChangedV2Event, async (tx, e) => {
    const { gpu_index, disabled, min_priority, updated_at } = e;
    await tx.upsert(GpuPolicyEntity, { gpu_index, gpu_uuid: null, disabled, min_priority, updated_at }, [
      'gpu_index',
    ]);
  }),
  replayRule(GpuPolicyChangedEvent, async (tx, e) => {
    const { gpu_index, gpu_uuid, disabled, min_priority, updated_at } = e;
    await storeGpuPolicy(tx, { gpu_index, gpu_uuid, disabled, min_priority }, updated_at);
  }),
  auditOnly(GpuProcessesKilledEvent),
];
