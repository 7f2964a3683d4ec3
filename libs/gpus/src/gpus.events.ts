import { JournalEntryType, type JournaledEvent } from '@trainyard/journal';
import { KillFailureDto } from './gpus.dto';

// Journal entries about GPUs; the fields are the payload and its OpenAPI schema. Changing one is a
// new `.v<N>` (see journal-entry-type.ts); the replay rules are in infrastructure/gpu-policy.replay.ts.

/**
 * A GPU's scheduling policy changed (old journals): `min_priority` 0 was the default and meant
 * "everyone", so a replica reads it as no gate (as migration 1796007100000 does with stored rows).
 */
@JournalEntryType(
  'gpu.policy_changed.v1',
  "a GPU's scheduling policy changed. The whole policy after the change; a replica upserts its " +
    '`gpu_policy` row (min_priority 0 = no gate). Superseded by gpu.policy_changed.v2.',
)
export class GpuPolicyChangedV1Event implements JournaledEvent {
  /** nvidia-smi index (or fake GPU index). */
  readonly gpu_index: number;
  /** The scheduler places nothing new on a disabled GPU. */
  readonly disabled: boolean;
  /** Only queue items with at least this priority may be placed on it; 0 = everyone. */
  readonly min_priority: number;
  /** ISO 8601 time of the change. */
  readonly updated_at: string;

  constructor(fields: GpuPolicyChangedV1Event) {
    this.gpu_index = fields.gpu_index;
    this.disabled = fields.disabled;
    this.min_priority = fields.min_priority;
    this.updated_at = fields.updated_at;
  }
}

/** A GPU's scheduling policy changed (journals before policies named their card: by index). */
@JournalEntryType(
  'gpu.policy_changed.v2',
  "a GPU's scheduling policy changed. The whole policy after the change; a replica upserts its " +
    '`gpu_policy` row (no card: it applies by index). Superseded by gpu.policy_changed.v3.',
)
export class GpuPolicyChangedV2Event implements JournaledEvent {
  /** nvidia-smi index (or fake GPU index). */
  readonly gpu_index: number;
  /** The scheduler places nothing new on a disabled GPU. */
  readonly disabled: boolean;
  /** The priority gate: only queue items with at least this priority may be placed on it; null = no gate. */
  readonly min_priority: number | null;
  /** ISO 8601 time of the change. */
  readonly updated_at: string;

  constructor(fields: GpuPolicyChangedV2Event) {
    this.gpu_index = fields.gpu_index;
    this.disabled = fields.disabled;
    this.min_priority = fields.min_priority;
    this.updated_at = fields.updated_at;
  }
}

/** A GPU's scheduling policy changed; the dispatcher re-runs placement on it. */
@JournalEntryType(
  'gpu.policy_changed.v3',
  "a GPU's scheduling policy changed. The whole policy after the change and the card it was set on; " +
    'a replica stores it in place of its `gpu_policy` row at that index and of any other row of that card.',
)
export class GpuPolicyChangedEvent implements JournaledEvent {
  /** nvidia-smi index (or fake GPU index). */
  readonly gpu_index: number;
  /** The card (nvidia-smi uuid) the policy was set on, which it follows; null when not reported. */
  readonly gpu_uuid: string | null;
  /** The scheduler places nothing new on a disabled GPU. */
  readonly disabled: boolean;
  /** The priority gate: only queue items with at least this priority may be placed on it; null = no gate. */
  readonly min_priority: number | null;
  /** ISO 8601 time of the change. */
  readonly updated_at: string;

  constructor(fields: GpuPolicyChangedEvent) {
    this.gpu_index = fields.gpu_index;
    this.gpu_uuid = fields.gpu_uuid;
    this.disabled = fields.disabled;
    this.min_priority = fields.min_priority;
    this.updated_at = fields.updated_at;
  }
}

export type KillFailure = KillFailureDto;

/** An operator SIGKILLed the processes on a GPU. */
@JournalEntryType(
  'gpu.processes_killed.v1',
  'an operator SIGKILLed the processes on a GPU of the origin node. An audit record: it changes no ' +
    'replicated row.',
)
export class GpuProcessesKilledEvent implements JournaledEvent {
  readonly gpu_index: number;
  /** Every pid found on the GPU. */
  readonly pids: number[];
  /** The pids that were killed. */
  readonly killed: number[];
  /** The pids that could not be killed, and why. */
  readonly failed: KillFailureDto[];
  /**
   * Jobs on the GPU stopped through their lifecycle (each ends `aborted / user_kill`, its own
   * `job.terminating.v1` first); absent in older entries.
   */
  readonly queue_ids?: string[];

  constructor(
    gpuIndex: number,
    pids: number[],
    killed: number[],
    failed: KillFailure[],
    queueIds: string[] = [],
  ) {
    this.gpu_index = gpuIndex;
    this.pids = pids;
    this.killed = killed;
    this.failed = failed;
    this.queue_ids = queueIds;
  }
}
