import { ApiProperty } from '@nestjs/swagger';
import { JournalEntryType, type JournaledEvent } from '@trainyard/journal';
import type { Job, SubmitRequest } from './job';
import type { JobDependency } from './dependencies';
import { JobDependencyDto } from './job.dto';
import { JOB_STATUSES, TERMINATION_REASONS, type JobStatus, type TerminationReason } from './job-lifecycle';

// Journal entries about jobs. Each carries what a replica needs to make the same change to its `jobs`
// row; the fields are the payload and its OpenAPI schema. Changing one is a new `.v<N>` (see
// journal-entry-type.ts); the replay rules are in infrastructure/job.replay.ts.

/** A job was submitted. */
@JournalEntryType(
  'job.queued.v1',
  'a job was submitted. The whole job as stored; a replica inserts it with status `queued` and the run ' +
    'fields empty (started_at, ended_at, pid, proc_start_time, exit_code, error null; gpu_indices and ' +
    'mig_devices []). depends_on, the array fields, time_limit_s, log_cap_bytes, preemptible, ' +
    'gpu_profile and retry_of were added later: absent, they are [], null, null (no limit), null (the ' +
    'server default cap), false, null (whole GPUs) and null (not a retry).',
)
export class JobQueuedEvent implements JournaledEvent {
  /** The job's id, `q_<ms>_<8 hex>`. */
  readonly queue_id: string;
  readonly job_type: string;
  /** Optional human label. */
  readonly name: string | null;
  /** Higher runs first. */
  readonly priority: number;
  readonly requested_gpus: number;
  /** Type-specific parameters, validated and as stored. */
  readonly job_params: Record<string, unknown>;
  /** Absolute working directory. */
  readonly cwd: string;
  /** Extra environment variables. */
  readonly env: Record<string, string>;
  /** ISO 8601 submit time. */
  readonly submitted_at: string;
  /** The `Idempotency-Key` it was submitted with. */
  readonly idempotency_key: string | null;
  /** SIGTERM → SIGKILL grace for this job, seconds (null: the server's default). */
  readonly kill_grace_s: number | null;
  /** Jobs it waits for (absent in entries written before dependencies existed: none). */
  @ApiProperty({ type: [JobDependencyDto], required: false })
  readonly depends_on?: JobDependency[];
  /** Its array (`a_<ms>_<8 hex>`), index in it and the array's max_running; absent or null: none. */
  readonly array_id?: string | null;
  readonly array_index?: number | null;
  readonly array_max_running?: number | null;
  /** Run-time cap, seconds from its start, as resolved at submit (absent in older entries, or null: none). */
  readonly time_limit_s?: number | null;
  /** Cap on this job's log file, bytes (absent in older entries, or null: the server's default). */
  readonly log_cap_bytes?: number | null;
  /** May be preempted (absent in older entries: false). */
  readonly preemptible?: boolean;
  /** The MIG profile its GPUs are (absent in older entries, or null: whole GPUs). */
  readonly gpu_profile?: string | null;
  /** The failed or aborted job it retries (absent in older entries, or null: not a retry). */
  readonly retry_of?: string | null;
  /**
   * With an idempotency_key: the whole submit request as resolved (an array's spec, held, ...), that a
   * retry with the key is compared with (absent in older entries and without a key).
   */
  readonly idempotency_request?: SubmitRequest;

  constructor(job: Job, idempotencyRequest?: SubmitRequest | null) {
    this.queue_id = job.id;
    this.job_type = job.job_type;
    this.name = job.name;
    this.priority = job.priority;
    this.requested_gpus = job.requested_gpus;
    this.job_params = job.job_params;
    this.cwd = job.cwd;
    this.env = job.env;
    this.submitted_at = job.submitted_at;
    this.idempotency_key = job.idempotency_key;
    this.kill_grace_s = job.kill_grace_s;
    this.depends_on = job.depends_on;
    this.array_id = job.array_id;
    this.array_index = job.array_index;
    this.array_max_running = job.array_max_running;
    this.time_limit_s = job.time_limit_s;
    this.log_cap_bytes = job.log_cap_bytes;
    this.preemptible = job.preemptible;
    this.gpu_profile = job.gpu_profile;
    this.retry_of = job.retry_of;
    if (idempotencyRequest) this.idempotency_request = idempotencyRequest;
  }
}

@JournalEntryType(
  'job.dependency_failed.v1',
  'a queued job can never start because a dependency can no longer be met; a replica sets it ' +
    '`aborted` with termination_reason `dependency_failed` (it must still be queued).',
)
export class JobDependencyFailedEvent implements JournaledEvent {
  readonly queue_id: string;
  /** Names the dependency and why it cannot be met. */
  readonly error: string;
  /** ISO 8601 end time. */
  readonly ended_at: string;

  constructor(fields: JobDependencyFailedEvent) {
    this.queue_id = fields.queue_id;
    this.error = fields.error;
    this.ended_at = fields.ended_at;
  }
}

@JournalEntryType(
  'job.cancelled.v1',
  'a queued job was cancelled before it started; a replica deletes its row (it must still be queued).',
)
export class JobCancelledEvent implements JournaledEvent {
  readonly queue_id: string;

  constructor(queueId: string) {
    this.queue_id = queueId;
  }
}

@JournalEntryType(
  'job.priority_changed.v1',
  'the priority of a queued job was changed (PATCH /api/queue/{id}); a replica sets its `priority` (it must ' +
    'still be queued). Its submit order (seq) and submitted_at stay: it is not a resubmit.',
)
export class JobPriorityChangedEvent implements JournaledEvent {
  readonly queue_id: string;
  /** Its priority from now on. */
  readonly priority: number;
  /** Its priority before the change. */
  readonly previous_priority: number;
  /** ISO 8601 time of the change. */
  readonly changed_at: string;

  constructor(fields: JobPriorityChangedEvent) {
    this.queue_id = fields.queue_id;
    this.priority = fields.priority;
    this.previous_priority = fields.previous_priority;
    this.changed_at = fields.changed_at;
  }
}

@JournalEntryType(
  'job.held.v1',
  'a queued job was held by the user (POST /api/queue/{id}/hold, or submitted held): it is never placed ' +
    'until released; a replica sets `held` and `held_at` (it must still be queued). Its submit order (seq) ' +
    'and submitted_at stay.',
)
export class JobHeldEvent implements JournaledEvent {
  readonly queue_id: string;
  /** ISO 8601 time of the hold. */
  readonly held_at: string;

  constructor(fields: JobHeldEvent) {
    this.queue_id = fields.queue_id;
    this.held_at = fields.held_at;
  }
}

@JournalEntryType(
  'job.released.v1',
  'a held queued job was released (POST /api/queue/{id}/release): it may be placed again, in its old ' +
    'place; a replica clears `held` and sets `held_ms` (it must still be queued).',
)
export class JobReleasedEvent implements JournaledEvent {
  readonly queue_id: string;
  /** ISO 8601 time of the release. */
  readonly released_at: string;
  /**
   * Milliseconds it has been held while otherwise ready to start, this hold included (what priority
   * aging leaves out). Absent in entries written before it was recorded: the row keeps its own.
   */
  readonly held_ms?: number;

  constructor(fields: JobReleasedEvent) {
    this.queue_id = fields.queue_id;
    this.released_at = fields.released_at;
    if (fields.held_ms !== undefined) this.held_ms = fields.held_ms;
  }
}

@JournalEntryType(
  'job.requeued.v1',
  'a claimed job whose launch never happened (the server died first, or its state directory failed the ' +
    'launch: full, or a directory of it removed; nothing of it ever ran) went back to the queue; a replica sets it `queued` again with no start time or GPUs (it must be starting).',
)
export class JobRequeuedEvent implements JournaledEvent {
  readonly queue_id: string;

  constructor(queueId: string) {
    this.queue_id = queueId;
  }
}

@JournalEntryType(
  'job.preempted.v1',
  'a preempted job (terminating with termination_reason `preempted`) has no process left and is queued ' +
    'again for its next attempt; a replica sets it `queued` with restart_count, preempted_at and error ' +
    '(the note naming its preemptor) as given, and clears the run fields (it must be terminating).',
)
export class JobPreemptedEvent implements JournaledEvent {
  readonly queue_id: string;
  /** Its attempt count from now on (the previous one + 1). */
  readonly restart_count: number;
  /** ISO 8601: when it was requeued (the preemption cooldown counts from it). */
  readonly preempted_at: string;
  /** "preempted by q_… (priority 10); requeued": the job's `error` note while it waits. */
  readonly error: string;
  /** The exit status of the attempt that was preempted, or null. */
  readonly exit_code: number | null;

  constructor(fields: JobPreemptedEvent) {
    this.queue_id = fields.queue_id;
    this.restart_count = fields.restart_count;
    this.preempted_at = fields.preempted_at;
    this.error = fields.error;
    this.exit_code = fields.exit_code;
  }
}

@JournalEntryType(
  'job.starting.v1',
  'the scheduler claimed a queued job and is launching it: status `starting`, its GPUs (or MIG devices: ' +
    'mig_devices, absent in older entries: []) and start time.',
)
export class JobStartingEvent implements JournaledEvent {
  readonly queue_id: string;
  /** GPUs assigned to it (empty for a GPU-less job and a MIG job). */
  readonly gpu_indices: number[];
  /** UUIDs of the MIG devices assigned to it (absent in older entries, or empty: none). */
  readonly mig_devices?: string[];
  /** ISO 8601 time of the claim. */
  readonly started_at: string;

  constructor(fields: JobStartingEvent) {
    this.queue_id = fields.queue_id;
    this.gpu_indices = fields.gpu_indices;
    this.mig_devices = fields.mig_devices;
    this.started_at = fields.started_at;
  }
}

@JournalEntryType(
  'job.started.v1',
  'the job process runs: status `running`. pid and proc_start_time name a process on the origin node ' +
    '(origin_node_id); a replica stores them as they are. argv (added later) is the command line its ' +
    'job type built; absent in older entries and for a job re-attached after a restart: left as it is.',
)
export class JobStartedEvent implements JournaledEvent {
  readonly queue_id: string;
  /** Process id of the job's session leader on the origin node. */
  readonly pid: number;
  /** That process's start time (from /proc), so a reused pid is not mistaken for it; null if unread. */
  readonly proc_start_time: string | null;
  /** The program and arguments it was started with (Job.argv); absent: not known to this entry. */
  readonly argv?: string[];

  constructor(fields: JobStartedEvent) {
    this.queue_id = fields.queue_id;
    this.pid = fields.pid;
    this.proc_start_time = fields.proc_start_time;
    this.argv = fields.argv;
  }
}

@JournalEntryType(
  'job.terminating.v1',
  'running → terminating: a stop was requested (`termination_reason`, persisted before any signal is ' +
    'sent), or the job’s command ended while other processes of it remain (reason null; then `exit_code` ' +
    'is the command’s, absent in older entries). Repeated, with the same request and the command’s ' +
    '`exit_code`, when the command of a job being stopped ends while other processes of it still shut down.',
)
export class JobTerminatingEvent implements JournaledEvent {
  readonly queue_id: string;
  /** The stop request (user_abort, user_kill, trainer_stop, time_limit, preempted, bundle_rollback), or null when its command ended with leftovers. */
  @ApiProperty({ enum: TERMINATION_REASONS, enumName: 'TerminationReason', nullable: true })
  readonly termination_reason: TerminationReason | null;
  /** ISO 8601 time of the request, or null. */
  readonly termination_requested_at: string | null;
  /** The command's exit status when it ended with processes of the job left (absent otherwise, and in older entries). */
  readonly exit_code?: number | null;

  constructor(fields: JobTerminatingEvent) {
    this.queue_id = fields.queue_id;
    this.termination_reason = fields.termination_reason;
    this.termination_requested_at = fields.termination_requested_at;
    if (fields.exit_code !== undefined) this.exit_code = fields.exit_code;
  }
}

@JournalEntryType('job.finished.v1', 'the job reached its terminal state.')
export class JobFinishedEvent implements JournaledEvent {
  readonly queue_id: string;
  @ApiProperty({ enum: JOB_STATUSES, enumName: 'JobStatus' })
  readonly status: JobStatus;
  /** The job's exit status (128+N when ended by signal N); null when none was recorded. */
  readonly exit_code: number | null;
  /** Why it failed or was aborted. */
  readonly error: string | null;
  /** Why it ended (see TerminationReason). */
  @ApiProperty({ enum: TERMINATION_REASONS, enumName: 'TerminationReason' })
  readonly termination_reason: TerminationReason;
  /** ISO 8601 end time. */
  readonly ended_at: string;

  constructor(fields: JobFinishedEvent) {
    this.queue_id = fields.queue_id;
    this.status = fields.status;
    this.exit_code = fields.exit_code;
    this.error = fields.error;
    this.termination_reason = fields.termination_reason;
    this.ended_at = fields.ended_at;
  }
}

@JournalEntryType(
  'job.kill_unverified.v1',
  'processes of a job outlived a kill or force-kill; a replica stores `error` as the job error.',
)
export class JobKillUnverifiedEvent implements JournaledEvent {
  readonly queue_id: string;
  @ApiProperty({ enum: ['SIGTERM', 'SIGKILL'] })
  readonly signal: 'SIGTERM' | 'SIGKILL';
  /** Pids still running when the check gave up. */
  readonly survivor_pids: number[];
  /** The job's new `error`. */
  readonly error: string;

  constructor(fields: JobKillUnverifiedEvent) {
    this.queue_id = fields.queue_id;
    this.signal = fields.signal;
    this.survivor_pids = fields.survivor_pids;
    this.error = fields.error;
  }
}

@JournalEntryType('job.deleted.v1', 'finished jobs were deleted; a replica deletes their rows.')
export class JobsDeletedEvent implements JournaledEvent {
  readonly queue_ids: string[];

  constructor(queueIds: string[]) {
    this.queue_ids = queueIds;
  }
}
