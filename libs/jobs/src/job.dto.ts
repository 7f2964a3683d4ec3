import { ApiProperty } from '@nestjs/swagger';
import { DEPENDENCY_CONDITIONS, type DependencyCondition } from './dependencies';
import { JOB_STATUSES, JobStatus, TERMINATION_REASONS, TerminationReason } from './job-lifecycle';

/** One entry of `depends_on`. */
export class JobDependencyDto {
  /** The job depended on, `q_<ms>_<8 hex>` (at submit also an array id `a_…`: each of its jobs). */
  queue_id!: string;
  /** after_ok: it succeeded; after_any: it ended; after_not_ok: it failed or was aborted; after_start: it started. */
  @ApiProperty({ enum: DEPENDENCY_CONDITIONS, enumName: 'DependencyCondition' })
  condition!: DependencyCondition;
}

/**
 * The last status a running job's trainer reported on `GET /status` (its control endpoint), as
 * polled by the server every 2 s and validated: each field is a finite number within its range, or
 * null when the trainer did not report it (or sent something else). Kept in memory while the job runs.
 */
export class TrainerStatusDto {
  /** Optimizer steps done (the trainer's `step` or `global_step`); integer ≥ 0. */
  step!: number | null;
  /** Steps the run will take; integer ≥ 1. */
  max_steps!: number | null;
  /** Epochs done, fractional (e.g. 1.25). */
  epoch!: number | null;
  /** Latest training loss. */
  loss!: number | null;
  /** Current learning rate (`lr` or `learning_rate`). */
  lr!: number | null;
  /** Latest gradient norm (before clipping, as the trainer reports it). */
  grad_norm!: number | null;
  /** Training throughput, tokens per second (`tokens_per_s` or `tokens_per_second`). */
  tokens_per_s!: number | null;
  /** Peak accelerator memory of the run so far, bytes. */
  peak_memory_bytes!: number | null;
  /** When the server read this status (ISO 8601). */
  updated_at!: string;
}

/** `GET /api/jobs/{id}/trainer-status`: `{available: false}` until a running job's trainer has answered. */
export class TrainerStatusReplyDto {
  /** Whether a status is known; the other fields are present only when it is. */
  available!: boolean;
  status?: TrainerStatusDto;
}

export class JobDto {
  /** Queue id, `q_<ms>_<8 hex>`; the job's id everywhere in the API. */
  queue_id!: string;
  job_type!: string;
  /** Optional human label. */
  name!: string | null;
  /** Higher runs first. */
  priority!: number;
  requested_gpus!: number;
  /** Type-specific parameters (see GET /api/job-types). */
  job_params!: Record<string, unknown>;
  /** Working directory of the job. */
  cwd!: string;
  /** Extra environment variables for the job. */
  env!: Record<string, string>;
  @ApiProperty({ enum: JOB_STATUSES, enumName: 'JobStatus' })
  status!: JobStatus;
  submitted_at!: string;
  started_at!: string | null;
  ended_at!: string | null;
  /** GPUs assigned at launch (empty before launch, for GPU-less jobs and for MIG jobs). */
  gpu_indices!: number[];
  /** The MIG profile it asked for (`1g.10gb`: requested_gpus counts MIG devices of it); null: whole GPUs. */
  @ApiProperty({ type: String, nullable: true })
  gpu_profile!: string | null;
  /** UUIDs of the MIG devices assigned at launch (its CUDA_VISIBLE_DEVICES); empty otherwise. */
  mig_devices!: string[];
  /**
   * The program and arguments its last attempt was started with, as its job type built them from
   * job_params (training: the whole torchrun command line). Null until started, for a launch that
   * failed before it, and for a job re-attached after a restart before this was recorded.
   */
  argv!: string[] | null;
  /** Process id of the job's supervisor process while it runs. */
  pid!: number | null;
  /** The job's real exit status (128+N when ended by signal N). */
  exit_code!: number | null;
  /** Why it failed, or a note from a kill that could not be verified. */
  error!: string | null;
  /**
   * Why the job ended, or is ending: a stop request (user_abort, user_kill, trainer_stop, time_limit,
   * preempted, bundle_rollback) is recorded here before any signal is sent; otherwise what its exit said. Null while it runs.
   */
  @ApiProperty({ enum: TERMINATION_REASONS, enumName: 'TerminationReason', nullable: true })
  termination_reason!: TerminationReason | null;
  /**
   * When its stop was requested (ISO 8601; the grace period runs from here); null when nobody asked
   * (it ran to its end, or is stopping what its command left behind).
   */
  termination_requested_at!: string | null;
  /** SIGTERM → SIGKILL grace for this job, seconds; null: the server's --kill-grace. */
  kill_grace_s!: number | null;
  /**
   * Run-time cap, seconds from its start; null: none. At the limit the job is asked to stop (its
   * trainer's save-stop, else SIGTERM), SIGKILL follows after the grace period, and it ends
   * `aborted` with termination_reason `time_limit`.
   */
  time_limit_s!: number | null;
  /** Cap on this job's log, bytes: beyond it the oldest output is dropped; null: the server's --log-cap. */
  log_cap_bytes!: number | null;
  /**
   * May be preempted: a higher-priority job that cannot start otherwise asks it to checkpoint
   * (trainer save-stop, else the server's --preempt-signal), SIGKILL after the grace period, and it
   * is queued again (termination_reason `preempted` while it stops).
   */
  preemptible!: boolean;
  /** Times it was requeued after preemption; its next attempt sees it as TRAINYARD_RESTART_COUNT. */
  restart_count!: number;
  /** When it was last preempted (ISO 8601), or null. */
  preempted_at!: string | null;
  /**
   * Held by the user (POST /api/queue/{id}/hold): a queued job that is never started — it claims no
   * GPU and blocks no other job — until released (POST /api/queue/{id}/release), keeping its place and
   * age. Always false once it has left the queue.
   */
  held!: boolean;
  /** Seconds between start and end (or now, while running). */
  runtime_seconds!: number | null;
  /** True while the job runs and its trainer has published a control endpoint (stop/save work). */
  trainer_endpoint!: boolean;
  /** Jobs this one waits for before it may start (empty: none). */
  depends_on!: JobDependencyDto[];
  /** The array it belongs to (`a_<ms>_<8 hex>`; see GET /api/arrays/{array_id}), or null. */
  array_id!: string | null;
  /** Its 0-based index in the array (also TRAINYARD_ARRAY_INDEX), or null. */
  array_index!: number | null;
  /** The failed or aborted job this one retries (`POST /api/arrays/{array_id}/retry`), or null. */
  @ApiProperty({ type: String, nullable: true })
  retry_of!: string | null;
  /** Its trainer's last status (see GET /api/jobs/{id}/trainer-status); absent when none is known. */
  @ApiProperty({ type: TrainerStatusDto, required: false })
  trainer_status?: TrainerStatusDto;
  /**
   * Why a queued job is still waiting, as of the last scheduling pass (as GET /api/queue says);
   * present for queued jobs only, null before their first pass.
   */
  @ApiProperty({ type: String, nullable: true, required: false })
  pending_reason?: string | null;
  /**
   * With `--priority-aging`: a queued job's priority as the scheduler places it now — its priority
   * plus the aging per hour it has waited ready to start (not while waiting for a dependency or held).
   * Present for queued jobs only, and only while aging is on. Lists stay ordered by `priority`.
   */
  @ApiProperty({ type: Number, required: false })
  effective_priority?: number;
  /**
   * When SIGKILL is due for a `terminating` job (ISO 8601): one grace period after its stop's first
   * signal or save-stop request. Present for terminating jobs only (GET /api/jobs and
   * /api/jobs/{id}); null while none is armed (a plain `trainer_stop`, or the first step not taken
   * yet).
   */
  @ApiProperty({ type: String, nullable: true, required: false })
  kill_at?: string | null;
}

export class JobPageDto {
  items!: JobDto[];
  total!: number;
  /** Pass as `cursor` to get the next page; null at the end. */
  next_cursor!: string | null;
}
