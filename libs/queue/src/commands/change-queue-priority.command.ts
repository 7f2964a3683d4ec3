import { Command } from '@nestjs/cqrs';
import type { Job } from '@trainyard/jobs';

/** Sets a queued job's priority; resolves with the job as it is now. */
export class ChangeQueuePriorityCommand extends Command<Job> {
  constructor(
    readonly queueId: string,
    readonly priority: number,
  ) {
    super();
  }
}
