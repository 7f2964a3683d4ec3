import type { Job } from './job';

/**
 * Since when a queued job could start, epoch ms: its submit, its requeue after a preemption, or the
 * moment its dependencies were all met (`depsMetMs`; 0 without any), the latest — what priority aging
 * counts from (as Slurm's age, time spent running or waiting for a dependency is not waited).
 */
export function readySinceMs(job: Pick<Job, 'submitted_at' | 'preempted_at'>, depsMetMs = 0): number {
  return Math.max(
    Date.parse(job.submitted_at),
    job.preempted_at === null ? 0 : Date.parse(job.preempted_at),
    depsMetMs,
  );
}

/**
 * Of a hold from `heldAtMs` to `releasedMs`, the milliseconds that fell while the job was otherwise
 * ready to start (since `readyMs`; null: it is not ready yet, its dependencies unmet) — what its
 * release adds to Job.held_ms, so the time held never counts as waited.
 */
export function heldWhileReadyMs(heldAtMs: number, releasedMs: number, readyMs: number | null): number {
  return readyMs === null ? 0 : Math.max(0, releasedMs - Math.max(heldAtMs, readyMs));
}

const HOUR_MS = 3_600_000;

/**
 * A queued job's priority as placement orders by it under `--priority-aging` (`agingPerHour`): its
 * priority plus agingPerHour per hour waited ready to start since `readyMs`, less `heldMs` held.
 */
export function agedPriority(
  priority: number,
  readyMs: number,
  heldMs: number,
  now: number,
  agingPerHour: number,
): number {
  if (agingPerHour === 0) return priority;
  return priority + (agingPerHour * Math.max(0, now - readyMs - heldMs)) / HOUR_MS;
}
