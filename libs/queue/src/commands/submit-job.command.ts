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
  kill_grace_s?: number;
  log_cap_bytes?: number;
}

export class SubmitJobCommand extends Command<{ job: Job; replayed: boolean }> {
  constructor(
    readonly input: SubmitJobInput,
    readonly idempotencyKey: string | undefined,
  ) {
    super();
  }
}
