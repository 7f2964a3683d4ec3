export const JOB_STATUSES = ['queued', 'starting', 'running', 'done', 'failed', 'aborted'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const ACTIVE_STATUSES: readonly JobStatus[] = ['starting', 'running'];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['done', 'failed', 'aborted'];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** A job as the rest of the app sees it (the entity never leaves infrastructure/). */
export interface Job {
  id: string;
  job_type: string;
  name: string | null;
  priority: number;
  requested_gpus: number;
  job_params: Record<string, unknown>;
  cwd: string;
  env: Record<string, string>;
  status: JobStatus;
  submitted_at: string;
  started_at: string | null;
  ended_at: string | null;
  gpu_indices: number[];
  pid: number | null;
  proc_start_time: string | null;
  exit_code: number | null;
  error: string | null;
  idempotency_key: string | null;
}
