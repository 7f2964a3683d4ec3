import { Command } from '@nestjs/cqrs';

/**
 * `removed`: it was queued and never ran (its row goes). `aborted`: it was queued for another attempt
 * after running (preempted): it ends `aborted` (user_abort) and keeps its record, log and run.
 * `aborting`: it is running; it is being stopped and ends `aborted`.
 */
export type CancelOutcome = 'removed' | 'aborted' | 'aborting';

export class CancelQueueItemCommand extends Command<CancelOutcome> {
  constructor(readonly queueId: string) {
    super();
  }
}
