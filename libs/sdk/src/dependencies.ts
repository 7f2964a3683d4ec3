// Hand-written: when a job's dependency can be met (the scheduler), and which waiting jobs a kill or
// cancel will abort (the console's confirmations say so before the user confirms).
import type { Client } from './generated/client';
import { getJobDependents } from './generated';
import type { DependencyCondition, DependentDto, JobStatus } from './generated/types.gen';

/** What is known of a dependency now; null when no such job exists (cancelled while queued, or deleted). */
export interface DependencyTarget {
  status: JobStatus;
  /** Its command was started: a pid was recorded (`started_at` is set earlier, at the claim). */
  launched: boolean;
}

/** One dependency against what is known of its job: met, still waiting, or never (and why). */
export function evaluateDependency(
  condition: DependencyCondition,
  target: DependencyTarget | null,
): 'met' | 'waiting' | { never: string } {
  if (target === null)
    return condition === 'after_any' ? 'met' : { never: 'no longer exists (cancelled or deleted)' };
  const { status } = target;
  const ended = status === 'done' || status === 'failed' || status === 'aborted';
  switch (condition) {
    case 'after_ok':
      if (status === 'done') return 'met';
      return ended ? { never: `ended ${status}` } : 'waiting';
    case 'after_any':
      return ended ? 'met' : 'waiting';
    case 'after_not_ok':
      if (status === 'failed' || status === 'aborted') return 'met';
      return status === 'done' ? { never: 'succeeded' } : 'waiting';
    case 'after_start':
      if (target.launched || status === 'running') return 'met';
      return ended ? { never: `ended ${status} without starting` } : 'waiting';
  }
}

/** The fields of a job (JobDto, QueueItemDto) that decide what a kill or cancel leaves of it. */
export interface StoppableJob {
  status: JobStatus;
  pid: number | null;
  array_id: string | null;
  restart_count: number;
}

/**
 * What a dependency sees of `job` once it is killed or cancelled: a queued job that never ran and is
 * in no array is removed (null); any other ends `aborted` (user_abort), launched if it had a pid.
 */
export function stoppedTarget(job: StoppableJob): DependencyTarget | null {
  if (job.status === 'queued' && job.restart_count === 0 && job.array_id === null) return null;
  return { status: 'aborted', launched: job.pid !== null };
}

/** Stop following a chain of dependents after this many jobs (one request each). */
const MAX_DEPENDENTS_READ = 50;

/**
 * The queued jobs that will end `aborted / dependency_failed` when `queueId` ends as `target` (see
 * stoppedTarget): its queued dependents whose condition can then never be met, and theirs in turn
 * (an aborted dependent fails its own `after_ok` / `after_start` dependents), oldest first level by
 * level. At most 50 jobs' dependents are read. Request failures are thrown.
 */
export async function dependentsAbortedBy(
  client: Client,
  queueId: string,
  target: DependencyTarget | null,
): Promise<DependentDto[]> {
  const aborted: DependentDto[] = [];
  const seen = new Set([queueId]);
  const next: Array<{ id: string; target: DependencyTarget | null }> = [{ id: queueId, target }];
  for (let read = 0; next.length && read < MAX_DEPENDENTS_READ; read++) {
    const { id, target: end } = next.shift()!;
    const { data } = await getJobDependents({ client, path: { queue_id: id }, throwOnError: true });
    for (const dep of data) {
      if (dep.status !== 'queued' || seen.has(dep.queue_id)) continue;
      if (typeof evaluateDependency(dep.condition, end) !== 'object') continue;
      seen.add(dep.queue_id);
      aborted.push(dep);
      next.push({ id: dep.queue_id, target: { status: 'aborted', launched: false } });
    }
  }
  return aborted;
}
