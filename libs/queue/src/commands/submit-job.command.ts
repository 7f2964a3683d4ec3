import { Command } from '@nestjs/cqrs';
import type { Job } from '@trainyard/jobs';

export interface SubmitJobInput {
  job_type: string;
  /** Default: the job type's default_gpus. */
  requested_gpus?: number;
  priority: number;
  job_params: Record<string, unknown>;
  cwd?: string;
  env?: Record<string, string>;
  name?: string;
  /** Seconds; undefined or null: the server's --kill-grace. */
  kill_grace_s?: number | null;
  /** Unchecked: the handler validates entries (naming depends_on[i].queue_id). */
  depends_on?: Array<{ queue_id: unknown; condition?: unknown }>;
  /** Unchecked: the handler validates it (naming array.count, array.sweep.<param>, ...). */
  array?: Record<string, unknown>;
  /** Seconds; undefined: the job type's default, else the server's; null: none. */
  time_limit_s?: number | null;
  /** Bytes; undefined or null: the server's --log-cap; 0: no cap. */
  log_cap_bytes?: number | null;
  /** Default false. */
  preemptible?: boolean;
  /** Queued held (never started until released); default false. */
  held?: boolean;
  /** A MIG profile (`1g.10gb`); requested_gpus then counts MIG devices of it. Checked by the handler. */
  gpu_profile?: string;
}

export interface SubmitJobOptions {
  /**
   * Start it now or queue nothing (a rank of a multi-node job, whose other ranks wait for it at the
   * rendezvous): placed among everything queued as a scheduling pass would, and claimed in the
   * submit's transaction; a job that cannot start (nor preempt its way to GPUs) is refused with 409.
   * One job only (no array), not held.
   */
  startNow?: boolean;
}

export class SubmitJobCommand extends Command<{ job: Job; replayed: boolean }> {
  constructor(
    readonly input: SubmitJobInput,
    readonly idempotencyKey: string | undefined,
    readonly options: SubmitJobOptions = {},
  ) {
    super();
  }
}
