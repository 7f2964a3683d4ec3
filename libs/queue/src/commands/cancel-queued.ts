import type { IEvent } from '@nestjs/cqrs';
import type { Journal } from '@trainyard/journal';
import {
  Job,
  JobCancelledEvent,
  JobFinishedEvent,
  JobHooks,
  JobRepository,
  removeJobRows,
} from '@trainyard/jobs';
import type { CancelRequest } from './cancel-queue-item.command';

/** The journal's transaction, as the job repository takes it. */
type Tx = Parameters<JobRepository['moveTo']>[0];

/** What cancelling queued jobs did: the ones removed, the ones ended, and the journal's events. */
export interface QueuedCancel {
  /** Never ran and in no array: their rows are gone. */
  removed: string[];
  /** An array's, or queued again after running (preempted): ended `aborted` (the request), record kept. */
  aborted: string[];
  events: IEvent[];
}

/**
 * Cancels queued jobs in the caller's transaction (DELETE /api/queue/{id}, an array's cancel): a job
 * that never ran is removed — unless it is an array's: then it ends `aborted` (user_abort, "cancelled
 * before it started"), as Slurm keeps a cancelled array task, so the array still counts it, `wait`
 * does not report the array as a success and `retry` can run it again. One queued for another attempt
 * after running also ends `aborted` — it has a log, a run and a history, which a cancel must not
 * erase. `request` is the reason they end with (a rank of a rolled-back multi-node job:
 * bundle_rollback). A removed one's environment is redacted from its journal entry (removeJobRows). Each one's
 * run ends with it. Their control directories and secret files are the caller's to remove after the
 * commit (JobFiles.removeSpent of `aborted`).
 */
export async function cancelQueued(
  tx: Tx,
  jobs: JobRepository,
  journal: Journal,
  hooks: JobHooks,
  queued: readonly Job[],
  request: CancelRequest = 'user_abort',
): Promise<QueuedCancel> {
  const why = request === 'bundle_rollback' ? 'its multi-node job was rolled back' : 'cancelled';
  const endedAt = new Date().toISOString();
  const removed: string[] = [];
  const aborted: string[] = [];
  const events: IEvent[] = [];
  for (const job of queued) {
    if (job.restart_count === 0 && job.array_id === null) {
      removed.push(job.id);
      events.push(new JobCancelledEvent(job.id));
      continue;
    }
    const changes = {
      exit_code: job.exit_code,
      error:
        job.restart_count === 0
          ? `${why} before it started`
          : `${job.error ?? 'preempted'}; ${why} before attempt ${job.restart_count + 1}`,
      termination_reason: request,
      ended_at: endedAt,
    };
    if (await jobs.moveTo(tx, job.id, 'aborted', changes)) {
      aborted.push(job.id);
      events.push(new JobFinishedEvent({ queue_id: job.id, status: 'aborted', ...changes }));
    }
  }
  await removeJobRows(tx, jobs, journal, removed);
  const ends = [...removed, ...aborted].map((id) => ({
    queue_id: id,
    status: 'aborted' as const,
    ended_at: endedAt,
  }));
  return { removed, aborted, events: [...events, ...(await hooks.ended(tx, ends))] };
}
