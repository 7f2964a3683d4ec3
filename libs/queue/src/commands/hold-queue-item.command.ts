import { Command } from '@nestjs/cqrs';
import type { Job } from '@trainyard/jobs';

/** Holds (`held` true) or releases a queued job; resolves with the job as it is now. */
export class HoldQueueItemCommand extends Command<Job> {
  constructor(
    readonly queueId: string,
    readonly held: boolean,
  ) {
    super();
  }
}

/** Holds (`held` true) or releases every queued job of an array; resolves with the ids whose hold changed. */
export class HoldArrayCommand extends Command<string[]> {
  constructor(
    readonly arrayId: string,
    readonly held: boolean,
  ) {
    super();
  }
}
