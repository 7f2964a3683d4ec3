/**
 * Preemption: which running jobs to stop so the top waiting job can start.
 *
 * Pure and synchronous, like placement (the dispatcher runs it after `place` with the job that pass
 * found blocked). Rules:
 * - only `preemptible` jobs of strictly lower priority than the waiting job are candidates (never
 *   for one of equal or lower priority);
 * - a job preempted less than `cooldown_ms` ago is not a candidate (no preemption storm);
 * - a job the waiting job depends on is never a candidate: stopping it would unmeet the dependency
 *   (`after X:start`), so the waiting job could not start on the GPUs it freed, and the next pass
 *   would preempt it again once it restarted;
 * - GPUs that are idle, or whose job is already being stopped, count as free: preemption only covers
 *   the shortfall, and a stop already under way is never doubled;
 * - the fewest victims that cover the shortfall; among as few, the lowest priorities first (then the
 *   most recently started: the least work lost, then the id).
 */

import type { PlacementGpu } from './placement';

export interface PreemptionTarget {
  queue_id: string;
  /** The priority it was submitted with (aging does not earn a preemption). */
  priority: number;
  requested_gpus: number;
  /** The queue ids it depends on (any condition): never its victims. */
  depends_on?: readonly string[];
}

/** A job that holds GPUs now (starting, running or terminating). */
export interface PreemptionCandidate {
  queue_id: string;
  priority: number;
  preemptible: boolean;
  gpu_indices: readonly number[];
  /** Only a running job may be asked to checkpoint; a starting one is passed over. */
  running: boolean;
  /** A stop (any reason) was already requested: its GPUs are as good as free. */
  stopping: boolean;
  /** When it was last preempted, epoch ms (null: never). */
  preempted_ms: number | null;
  /** When it started, epoch ms (for the tie-break: the newest loses the least work). */
  started_ms: number;
}

export interface PreemptionOptions {
  /** The pass's clock, epoch ms. */
  now: number;
  /** A job is preempted at most once per this many ms. */
  cooldown_ms: number;
  /** GPUs placement launched on in this pass (not free for the target). */
  taken?: ReadonlySet<number>;
}

export interface PreemptionPlan {
  /** queue_ids to stop, in the order chosen. */
  victims: string[];
  /** The GPUs the target will take once they are free, ascending. */
  gpu_indices: number[];
}

/**
 * The victims that let `target` start, or null when it needs none (enough is free or freeing) or
 * when no allowed set of victims would be enough.
 */
export function planPreemption(
  target: PreemptionTarget,
  gpus: readonly PlacementGpu[],
  candidates: readonly PreemptionCandidate[],
  options: PreemptionOptions,
): PreemptionPlan | null {
  const stopping = new Set(candidates.filter((c) => c.stopping).map((c) => c.queue_id));
  const usable = gpus.filter(
    (g) =>
      !g.excluded &&
      !g.mig_enabled &&
      !g.disabled &&
      (g.min_priority === null || target.priority >= g.min_priority) &&
      !options.taken?.has(g.index),
  );
  const usableIdx = new Set(usable.map((g) => g.index));
  const free = usable
    .filter((g) => g.reserved_by === null || stopping.has(g.reserved_by))
    .map((g) => g.index);
  const shortfall = target.requested_gpus - free.length;
  if (shortfall <= 0) return null;

  const dependency = new Set(target.depends_on);
  const pool = candidates
    .filter(
      (c) =>
        c.preemptible &&
        !dependency.has(c.queue_id) &&
        c.running &&
        !c.stopping &&
        c.priority < target.priority &&
        (c.preempted_ms === null || options.now - c.preempted_ms >= options.cooldown_ms),
    )
    .map((c) => ({ c, gain: c.gpu_indices.filter((i) => usableIdx.has(i)) }))
    .filter((v) => v.gain.length > 0)
    .sort(
      (a, b) =>
        a.c.priority - b.c.priority ||
        b.gain.length - a.gain.length ||
        b.c.started_ms - a.c.started_ms ||
        (a.c.queue_id < b.c.queue_id ? -1 : a.c.queue_id > b.c.queue_id ? 1 : 0),
    );

  // The fewest victims possible: the biggest gains first.
  const gains = pool.map((v) => v.gain.length).sort((a, b) => b - a);
  let fewest = 0;
  for (let sum = 0; sum < shortfall; fewest++) {
    if (fewest === gains.length) return null;
    sum += gains[fewest];
  }

  // Lowest priority first, taking a candidate only when the rest can still be covered by the
  // remaining picks: as few victims as possible, and of those the lowest priorities.
  const chosen: typeof pool = [];
  let covered = 0;
  for (let i = 0; i < pool.length && covered < shortfall; i++) {
    const after = covered + pool[i].gain.length;
    const picksLeft = fewest - chosen.length - 1;
    const best = pool
      .slice(i + 1)
      .map((v) => v.gain.length)
      .sort((a, b) => b - a)
      .slice(0, picksLeft)
      .reduce((s, n) => s + n, 0);
    if (after + best < shortfall) continue;
    chosen.push(pool[i]);
    covered = after;
  }

  // The GPUs it will take: free ones first, then the victims' (as many as it needs).
  const freed = chosen.flatMap((v) => v.gain);
  const take = [...free, ...freed].slice(0, target.requested_gpus).sort((a, b) => a - b);
  return { victims: chosen.map((v) => v.c.queue_id), gpu_indices: take };
}

/**
 * When no plan exists now only because of the cooldown: the earliest time (epoch ms) a plan exists as
 * the recently preempted jobs' cooldowns run out, and which of that plan's victims are still cooling
 * down (in plan order). Null when the cooldown is not what stops it (enough is free, or no allowed
 * victims would ever be enough). Meant for when {@link planPreemption} returned null.
 */
export function preemptionCooldown(
  target: PreemptionTarget,
  gpus: readonly PlacementGpu[],
  candidates: readonly PreemptionCandidate[],
  options: PreemptionOptions,
): { until: number; victims: string[] } | null {
  const endOf = (c: PreemptionCandidate) =>
    c.preempted_ms === null ? -Infinity : c.preempted_ms + options.cooldown_ms;
  const cooling = new Set(candidates.filter((c) => endOf(c) > options.now).map((c) => c.queue_id));
  const ends = [...new Set(candidates.map(endOf).filter((end) => end > options.now))].sort((a, b) => a - b);
  for (const until of ends) {
    const plan = planPreemption(target, gpus, candidates, { ...options, now: until });
    if (plan !== null) return { until, victims: plan.victims.filter((v) => cooling.has(v)) };
  }
  return null;
}
