import { ApiProperty } from '@nestjs/swagger';
import { JOB_STATUSES, JobStatus, TERMINATION_REASONS, TerminationReason } from './job-lifecycle';

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
  /** GPUs assigned at launch (empty before launch and for GPU-less jobs). */
  gpu_indices!: number[];
  /** Process id of the job's supervisor process while it runs. */
  pid!: number | null;
  /** The job's real exit status (128+N when ended by signal N). */
  exit_code!: number | null;
  /** Why it failed, or a note from a kill that could not be verified. */
  error!: string | null;
  /**
   * Why the job ended, or is ending: a stop request (user_abort, user_kill, trainer_stop) is
   * recorded here before any signal is sent; otherwise what its exit said. Null while it runs.
   */
  @ApiProperty({ enum: TERMINATION_REASONS, enumName: 'TerminationReason', nullable: true })
  termination_reason!: TerminationReason | null;
  /** SIGTERM → SIGKILL grace for this job, seconds; null: the server's --kill-grace. */
  kill_grace_s!: number | null;
  /** Cap on this job's log, bytes: beyond it the oldest output is dropped; null: the server's --log-cap. */
  log_cap_bytes!: number | null;
  /** Seconds between start and end (or now, while running). */
  runtime_seconds!: number | null;
  /** True while the job runs and its trainer has published a control endpoint (stop/save work). */
  trainer_endpoint!: boolean;
}

export class JobPageDto {
  items!: JobDto[];
  total!: number;
  /** Pass as `cursor` to get the next page; null at the end. */
  next_cursor!: string | null;
}
