// Hand-written: a job's runtime as the CLI and the console show it beside its age.
import type { JobDto } from './generated';

/**
 * A job's runtime in seconds: counting up from `started_at` by the caller's clock `now` (ms since
 * the epoch) while the job has processes (starting, running, terminating — a job being stopped is
 * still running its shutdown), the server's `runtime_seconds` once it has ended; null before it
 * started. Counted by the same clock as the job's age, it never reads above it (the server's figure
 * is taken when it answered, a moment before).
 */
export function jobRuntimeSeconds(
  job: Pick<JobDto, 'status' | 'started_at' | 'runtime_seconds'>,
  now: number,
): number | null {
  const active = job.status === 'starting' || job.status === 'running' || job.status === 'terminating';
  if (!active || !job.started_at) return job.runtime_seconds;
  const started = Date.parse(job.started_at);
  return Number.isFinite(started) ? Math.max(0, (now - started) / 1000) : job.runtime_seconds;
}
