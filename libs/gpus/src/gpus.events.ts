import type { JournaledEvent } from '@trainyard/journal';

/** A GPU's scheduling policy changed; the dispatcher re-runs placement on it. */
export class GpuPolicyChangedEvent implements JournaledEvent {
  readonly type = 'gpu.policy_changed';
  constructor(
    readonly gpu_index: number,
    readonly disabled: boolean,
    readonly min_priority: number,
  ) {}
}

export interface KillFailure {
  pid: number;
  reason: string;
}

/** An operator SIGKILLed the processes on a GPU. */
export class GpuProcessesKilledEvent implements JournaledEvent {
  readonly type = 'gpu.processes_killed';
  constructor(
    readonly gpu_index: number,
    readonly pids: number[],
    readonly killed: number[],
    readonly failed: KillFailure[],
  ) {}
}
