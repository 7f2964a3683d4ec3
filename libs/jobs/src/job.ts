import type { JobDependency } from './dependencies';
import type { JobStatus, TerminationReason } from './job-lifecycle';

/**
 * In the environment of a job run from a project config: the project's name. Run tracking files the
 * job's run under that project (`GET /api/runs?project=`).
 */
export const PROJECT_ENV = 'TRAINYARD_PROJECT';

/** A job as the rest of the app sees it (the entity never leaves infrastructure/). */
export interface Job {
  id: string;
  job_type: string;
  name: string | null;
  priority: number;
  requested_gpus: number;
  /** A MIG profile (`1g.10gb`): requested_gpus then counts MIG devices of it, never whole GPUs. Null: whole GPUs. */
  gpu_profile: string | null;
  job_params: Record<string, unknown>;
  cwd: string;
  env: Record<string, string>;
  status: JobStatus;
  submitted_at: string;
  started_at: string | null;
  ended_at: string | null;
  gpu_indices: number[];
  /** UUIDs of the MIG devices it was placed on (kept after it ends, like gpu_indices); empty otherwise. */
  mig_devices: string[];
  /**
   * The program and arguments its last attempt was started with, as its job type built them from
   * `job_params` (torchrun's whole command line for training). Null until started, for a launch that
   * failed before it, and for a job re-attached after a restart before this was recorded.
   */
  argv: string[] | null;
  pid: number | null;
  proc_start_time: string | null;
  exit_code: number | null;
  error: string | null;
  /** Why it ended or is ending; a stop request is stored here before any signal is sent. */
  termination_reason: TerminationReason | null;
  termination_requested_at: string | null;
  /** SIGTERM → SIGKILL grace for this job, seconds (null: the server's default). */
  kill_grace_s: number | null;
  /**
   * Run-time cap, seconds from its start (null: none), as resolved at submit (the request's, else its
   * job type's default, else the server's --default-time-limit). At the limit it is asked to stop.
   */
  time_limit_s: number | null;
  /** Cap on this job's log file, bytes (null: the server's --log-cap). */
  log_cap_bytes: number | null;
  /** May be stopped (asked to checkpoint) and requeued so a higher-priority job can start. */
  preemptible: boolean;
  /** How many times it was requeued after preemption (TRAINYARD_RESTART_COUNT of its next attempt). */
  restart_count: number;
  /** When it was last preempted, ISO 8601 (null: never): the preemption cooldown counts from it. */
  preempted_at: string | null;
  /**
   * Held by the user (POST /api/queue/{id}/hold): a queued job that is never placed — it claims no GPU,
   * blocks nobody — until released, keeping its place (seq) and age. False once it leaves the queue.
   */
  held: boolean;
  /** When its current hold began (ISO 8601), while held; null otherwise. */
  held_at: string | null;
  /**
   * How long it was held, in milliseconds, while it was otherwise ready to start (see aging.ts),
   * since it was last queued (a preemption's requeue starts it again at 0): what priority aging
   * leaves out, as Slurm's age does not grow while a job is held.
   */
  held_ms: number;
  idempotency_key: string | null;
  /** Jobs that must reach a state first (see dependencies.ts); empty for none. */
  depends_on: JobDependency[];
  /** The array this job belongs to (`a_<ms>_<8 hex>`), its 0-based index in it, and the array's cap. */
  array_id: string | null;
  array_index: number | null;
  /** At most this many jobs of the array run at once (null: no cap). */
  array_max_running: number | null;
  /** The failed or aborted job this one retries (`POST /api/arrays/{id}/retry` makes one per job), or null. */
  retry_of: string | null;
}

/**
 * The whole request a job was submitted with, as the submit resolved it (defaults applied, every
 * field of the submit present): kept with an Idempotency-Key, a retry must repeat all of it.
 */
export type SubmitRequest = Record<string, unknown>;

/** What a submit decides; everything about running is empty until the job is claimed. */
export type SubmittedJob = Pick<
  Job,
  | 'id'
  | 'job_type'
  | 'name'
  | 'priority'
  | 'requested_gpus'
  | 'gpu_profile'
  | 'job_params'
  | 'cwd'
  | 'env'
  | 'submitted_at'
  | 'kill_grace_s'
  | 'time_limit_s'
  | 'log_cap_bytes'
  | 'preemptible'
  | 'idempotency_key'
  | 'depends_on'
  | 'array_id'
  | 'array_index'
  | 'array_max_running'
  | 'retry_of'
>;

/** A freshly queued job (the submit path and the journal replay build it the same way). */
export function queuedJob(submitted: SubmittedJob): Job {
  return {
    ...submitted,
    status: 'queued',
    started_at: null,
    ended_at: null,
    gpu_indices: [],
    mig_devices: [],
    argv: null,
    pid: null,
    proc_start_time: null,
    exit_code: null,
    error: null,
    termination_reason: null,
    termination_requested_at: null,
    restart_count: 0,
    preempted_at: null,
    held: false,
    held_at: null,
    held_ms: 0,
  };
}
