import { Command } from '@nestjs/cqrs';

/** Removes terminal job records and their log files: one id, or every terminal job when null. */
export class DeleteJobsCommand extends Command<string[]> {
  constructor(readonly queueId: string | null) {
    super();
  }
}
