import { Command } from '@nestjs/cqrs';
import type { TerminationRequest } from '@trainyard/jobs';

/**
 * `removed`: it was queued, never ran and is in no array (its row goes). `aborted`: an array's queued
 * job, or one queued for another attempt after running (preempted): it ends `aborted` (user_abort)
 * and keeps its record (and log and run, if it ran).
 * `aborting`: it is running; it is being stopped and ends `aborted`.
 */
export type CancelOutcome = 'removed' | 'aborted' | 'aborting';

/**
 * Why a job is cancelled: a user's cancel (`user_abort`: SIGTERM, SIGKILL after the grace period), or
 * the rollback of its multi-node job (`bundle_rollback`: SIGKILL now; a rank of a bundle that never
 * formed has nothing to save).
 */
export type CancelRequest = Extract<TerminationRequest, 'user_abort' | 'bundle_rollback'>;

export class CancelQueueItemCommand extends Command<CancelOutcome> {
  constructor(
    readonly queueId: string,
    readonly request: CancelRequest = 'user_abort',
  ) {
    super();
  }
}
