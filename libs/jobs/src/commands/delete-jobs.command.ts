import { Command } from '@nestjs/cqrs';

/** What a delete removed, and the finished jobs it kept because queued jobs still depend on them. */
export interface DeletedJobs {
  deleted: string[];
  kept: string[];
}

/** Which finished jobs a cleanup removes (each absent: no narrowing). */
export interface CleanupFilter {
  /** Only jobs that ended before this instant (ISO 8601, UTC `Z`, as ended_at is stored). */
  endedBefore?: string;
  /** Only these terminal statuses. */
  statuses?: readonly string[];
}

/**
 * Removes terminal job records and their log files: one id (409 while queued jobs depend on it), or
 * every terminal job `filter` admits when null (keeping those queued jobs depend on).
 */
export class DeleteJobsCommand extends Command<DeletedJobs> {
  constructor(
    readonly queueId: string | null,
    readonly filter: CleanupFilter = {},
  ) {
    super();
  }
}
