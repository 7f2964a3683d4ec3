import { Command } from '@nestjs/cqrs';

/**
 * `removed`: it was queued, never ran and is in no array (its row goes). `aborted`: an array's queued
 * job, or one queued for another attempt after running (preempted): it ends `aborted` (user_abort)
 * and keeps its record (and log and run, if it ran).
 * `aborting`: it is running; it is being stopped and ends `aborted`.
 */
export type CancelOutcome = 'removed' | 'aborted' | 'aborting';

export class CancelQueueItemCommand extends Command<CancelOutcome> {
  /**
   * `kill`: a running job is force-killed (SIGKILL now, `user_kill`) instead of aborted with its
   * grace period — for a job with nothing to save, e.g. the rank of a rolled-back multi-node job.
   */
  constructor(
    readonly queueId: string,
    readonly kill = false,
  ) {
    super();
  }
}
