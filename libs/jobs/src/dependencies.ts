import { type DependencyTarget, evaluateDependency } from '@trainyard/core';

// The console asks the same question (which dependents a kill aborts): one rule, in the SDK (via core).
export { type DependencyTarget, evaluateDependency };

/**
 * Job dependencies (`depends_on`), as Slurm's `--dependency` names them:
 * - after_ok: start once the dependency succeeded (`done`);
 * - after_any: start once it ended, however (also when it was cancelled or deleted);
 * - after_not_ok: start once it failed or was aborted;
 * - after_start: start once its command has started (it may still be running): a job still
 *   `starting`, or one whose launch failed, has not.
 * When a condition can no longer come true, the waiting job ends `aborted / dependency_failed`.
 */
export const DEPENDENCY_CONDITIONS = ['after_ok', 'after_any', 'after_not_ok', 'after_start'] as const;
export type DependencyCondition = (typeof DEPENDENCY_CONDITIONS)[number];

export interface JobDependency {
  queue_id: string;
  condition: DependencyCondition;
}

export type DependencyState =
  | { state: 'met' }
  /** `reason`: "waiting for q_… to succeed" (each unmet dependency, in order). */
  | { state: 'waiting'; reason: string }
  /** `error`: why it can never start, naming the first dependency that cannot be met. */
  | { state: 'failed'; error: string };

const WAITING_FOR: Record<DependencyCondition, string> = {
  after_ok: 'succeed',
  after_any: 'end',
  after_not_ok: 'fail',
  after_start: 'start',
};

/** All of a job's dependencies: met when every one is, failed as soon as one cannot be. */
export function evaluateDependencies(
  dependsOn: readonly JobDependency[],
  lookup: (queueId: string) => DependencyTarget | null,
): DependencyState {
  const waiting: string[] = [];
  for (const dep of dependsOn) {
    const state = evaluateDependency(dep.condition, lookup(dep.queue_id));
    if (state === 'met') continue;
    if (state === 'waiting') waiting.push(`waiting for ${dep.queue_id} to ${WAITING_FOR[dep.condition]}`);
    else
      return {
        state: 'failed',
        error: `dependency ${dep.queue_id} (${dep.condition}) can no longer be met: it ${state.never}`,
      };
  }
  if (waiting.length === 0) return { state: 'met' };
  const shown = waiting.slice(0, 3);
  if (waiting.length > shown.length) shown.push(`+${waiting.length - shown.length} more`);
  return { state: 'waiting', reason: shown.join('; ') };
}

export interface QueuedWithDependencies {
  id: string;
  depends_on: readonly JobDependency[];
}

/**
 * A dependency as the scheduler reads it: its state, and when it started and ended (epoch ms; null
 * or absent: not yet, or not known).
 */
export interface DependencyRecord extends DependencyTarget {
  started_ms?: number | null;
  ended_ms?: number | null;
}

/**
 * Settles the dependencies of every queued job at once, cascading: a job that can never start ends
 * aborted, which fails the jobs waiting on it (`after_ok`) in the same pass, down a whole chain.
 * `known` holds the other jobs' state (dependencies that are not queued); a queued job's own state is
 * `queued` until it fails here. `readySince`: for each job whose dependencies are all met, since when
 * (epoch ms: the last one's start for `after_start`, else its end; a job aborted here ends `now`) —
 * what priority aging counts from, as Slurm's age counts only while a job is eligible.
 */
export function settleDependencies(
  queued: readonly QueuedWithDependencies[],
  known: ReadonlyMap<string, DependencyRecord>,
  now = Date.now(),
): { waiting: Map<string, string>; failed: Map<string, string>; readySince: Map<string, number> } {
  const state = new Map<string, DependencyRecord>(known);
  for (const job of queued) state.set(job.id, { status: 'queued', launched: false });
  const lookup = (id: string) => state.get(id) ?? null;
  const failed = new Map<string, string>();
  let pending = queued.filter((j) => j.depends_on.length > 0);
  // Each round fails at least one more job or stops, so this ends after at most `pending.length` rounds.
  for (let changed = true; changed;) {
    changed = false;
    const next: QueuedWithDependencies[] = [];
    for (const job of pending) {
      const result = evaluateDependencies(job.depends_on, lookup);
      if (result.state === 'failed') {
        failed.set(job.id, result.error);
        state.set(job.id, { status: 'aborted', launched: false, ended_ms: now });
        changed = true;
      } else next.push(job);
    }
    pending = next;
  }
  const waiting = new Map<string, string>();
  const readySince = new Map<string, number>();
  for (const job of pending) {
    const result = evaluateDependencies(job.depends_on, lookup);
    if (result.state === 'waiting') waiting.set(job.id, result.reason);
    else if (result.state === 'met') readySince.set(job.id, metSince(job.depends_on, lookup));
  }
  return { waiting, failed, readySince };
}

/** When the last of these (met) dependencies was met, epoch ms; 0 when no time is known. */
function metSince(
  dependsOn: readonly JobDependency[],
  lookup: (queueId: string) => DependencyRecord | null,
): number {
  let since = 0;
  for (const { queue_id, condition } of dependsOn) {
    const dep = lookup(queue_id);
    const at = condition === 'after_start' ? dep?.started_ms : dep?.ended_ms;
    since = Math.max(since, at ?? 0);
  }
  return since;
}

/**
 * The first cycle through `start` in the graph `edges` (queue_id → the ids it depends on), as the
 * path of ids from `start` back to it; null when there is none.
 */
export function findCycle(start: string, edges: (id: string) => readonly string[]): string[] | null {
  const seen = new Set<string>();
  const path: string[] = [];
  const visit = (id: string): boolean => {
    for (const next of edges(id)) {
      if (next === start) {
        path.push(id);
        return true;
      }
      if (seen.has(next)) continue;
      seen.add(next);
      if (visit(next)) {
        path.push(id);
        return true;
      }
    }
    return false;
  };
  return visit(start) ? [start, ...path.reverse().slice(1), start] : null;
}
