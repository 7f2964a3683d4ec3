import { Command } from '@nestjs/cqrs';

/** What a delete removed, and the finished jobs it kept because queued jobs still depend on them. */
export interface DeletedJobs {
  deleted: string[];
  kept: string[];
}

/**
 * Removes terminal job records and their log files: one id (409 while queued jobs depend on it), or
 * every terminal job when null (keeping those queued jobs depend on).
 */
export class DeleteJobsCommand extends Command<DeletedJobs> {
  constructor(readonly queueId: string | null) {
    super();
  }
}
