import type { JournaledEvent } from '@trainyard/journal';
import type { JobStatus, TerminationReason } from './job-lifecycle';

export class JobQueuedEvent implements JournaledEvent {
  readonly type = 'job.queued';
  constructor(
    readonly queue_id: string,
    readonly job_type: string,
    readonly priority: number,
    readonly requested_gpus: number,
  ) {}
}

export class JobCancelledEvent implements JournaledEvent {
  readonly type = 'job.cancelled';
  constructor(readonly queue_id: string) {}
}

export class JobStartingEvent implements JournaledEvent {
  readonly type = 'job.starting';
  constructor(
    readonly queue_id: string,
    readonly gpu_indices: number[],
  ) {}
}

export class JobStartedEvent implements JournaledEvent {
  readonly type = 'job.started';
  constructor(
    readonly queue_id: string,
    readonly pid: number,
  ) {}
}

/**
 * running → terminating: a stop was requested (the request is `termination_reason`, persisted
 * before any signal is sent), or the job's command ended while other processes of it remain.
 */
export class JobTerminatingEvent implements JournaledEvent {
  readonly type = 'job.terminating';
  constructor(
    readonly queue_id: string,
    readonly termination_reason: TerminationReason | null,
    readonly termination_requested_at: string | null,
  ) {}
}

export class JobFinishedEvent implements JournaledEvent {
  readonly type = 'job.finished';
  constructor(
    readonly queue_id: string,
    readonly status: JobStatus,
    readonly exit_code: number | null,
    readonly error: string | null,
    readonly termination_reason: TerminationReason | null = null,
    readonly ended_at: string | null = null,
  ) {}
}

export class JobsDeletedEvent implements JournaledEvent {
  readonly type = 'job.deleted';
  constructor(readonly queue_ids: string[]) {}
}
