import { Command } from '@nestjs/cqrs';
import type { KillOutcome } from '../process-killer';

export interface KillGpuProcessesResult extends KillOutcome {
  gpu_index: number;
  /** Jobs stopped through their lifecycle (see GpuJobStops). */
  jobs: string[];
  /** Why the kill has no journal entry (the state directory refused it), else null. */
  journal_error: string | null;
}

/**
 * SIGKILLs every process using one GPU (never the server or its ancestors; another uid's only with
 * `force`). Needs `confirmed`.
 */
export class KillGpuProcessesCommand extends Command<KillGpuProcessesResult> {
  constructor(
    readonly gpuIndex: number,
    readonly confirmed: boolean,
    readonly force = false,
  ) {
    super();
  }
}
