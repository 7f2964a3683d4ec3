/**
 * Placement: which queued items launch now, on which GPUs, and why the others wait.
 *
 * Pure and synchronous — no clock, no I/O — so the dispatcher can run it on every wake-up and the
 * rules can be tested exhaustively. See ARCHITECTURE.md "Scheduling".
 */

import { plural, type SchedulingPolicy } from '@trainyard/core';
import { agedPriority, type HeldGpus } from '@trainyard/jobs';

export interface PlacementItem {
  queue_id: string;
  priority: number;
  requested_gpus: number;
  /** Submit order (jobs.seq): earlier submits first within a priority, whatever the wall clock did. */
  seq: number;
  /** Set when the item may not start yet whatever the GPUs (unmet dependencies): the pending reason. */
  waiting_for?: string | null;
  /** The array it belongs to and the array's cap on running jobs (null: none). */
  array_id?: string | null;
  array_max_running?: number | null;
  /** Run-time cap, seconds (null/absent: none). Backfill only trusts jobs that have one. */
  time_limit_s?: number | null;
  /**
   * Seconds its processes may take to go after the stop at its time limit, before SIGKILL (the job's
   * or the server's kill grace; absent: 0): a backfilled job may hold its GPUs until limit + grace.
   */
  kill_grace_s?: number;
  /**
   * Since when it could start, epoch ms — its submit, its requeue after a preemption, or the moment
   * its dependencies were all met, the latest — what priority aging counts from.
   */
  ready_ms?: number;
  /** Milliseconds it was held by the user since `ready_ms`: not waited, so aging leaves them out. */
  held_ms?: number;
  /** A MIG profile (`1g.10gb`): requested_gpus MIG devices of it, never whole GPUs. Null/absent: whole GPUs. */
  gpu_profile?: string | null;
}

/** One MIG device of a GPU in MIG mode; its GPU's policy (disabled, gate, exclusion) applies to it. */
export interface PlacementMigDevice {
  uuid: string;
  gpu_index: number;
  profile: string;
  /** queue_id of the starting/running job holding it, if any. */
  reserved_by: string | null;
}

export interface PlacementGpu {
  index: number;
  /** Hidden by CUDA_VISIBLE_DEVICES at server start: not part of this host at all. */
  excluded: boolean;
  /** Turned off at runtime by an operator. */
  disabled: boolean;
  /** Priority gate: only items with at least this priority may use the GPU; null = no gate (every priority). */
  min_priority: number | null;
  /** queue_id of the starting/running job holding it, if any. */
  reserved_by: string | null;
  /**
   * When its holder's time limit (plus kill grace) runs out, epoch ms; null/absent: unknown (no limit).
   * What backfill computes the held job's earliest start from.
   */
  reserved_until?: number | null;
  /** Its holder's processes outlived SIGKILL: why `reserved_until` is unknown though it may have a limit. */
  holder_survives_kill?: boolean;
  /** MIG mode on: never placed as a whole GPU; only its MIG devices are (to items with a gpu_profile). */
  mig_enabled: boolean;
}

export interface PlacementLaunch {
  queue_id: string;
  /** Ascending; empty for a zero-GPU item and a MIG item. */
  gpu_indices: number[];
  /** UUIDs of the MIG devices given to a MIG item (what its CUDA_VISIBLE_DEVICES names); else empty. */
  mig_devices: string[];
}

export interface PlacementResult {
  /** In placement order (priority desc, seq asc, queue_id asc). */
  launch: PlacementLaunch[];
  /** queue_id -> human reason, for every item not launched. */
  pending: Record<string, string>;
  /**
   * The top waiting job that cannot start for lack of GPUs but could on this host (the one GPUs are
   * held for, outside `skip`), or null: what preemption (preemption.ts) may free GPUs for.
   */
  blocked: PlacementItem | null;
  /** The idle GPUs held for the top waiting job (see SchedulingPolicy), or null when none are. */
  held: HeldGpus | null;
  /**
   * When a reason counts down from the pass's clock — the held job's "expected to start within N s",
   * the "a time_limit_s ≤ N" hints — the moment it counts down to (epoch ms), else null: such a
   * reason is a second out of date a second later.
   */
  countsDownTo: number | null;
}

/**
 * What happens when the highest-priority waiting job cannot fit (Slurm's terms; `SchedulingPolicy`):
 * - `skip`: nothing is held; lower-priority jobs take whatever is idle (the big job may starve);
 * - `strict`: idle GPUs it can use are held for it until it starts;
 * - `backfill` (EASY backfill): held likewise, but a lower-priority job may use a held GPU when its own
 *   time limit ends before the earliest time the held job can start (from running jobs' limits).
 */

export interface PlacementOptions {
  /** Default `backfill`. */
  mode?: SchedulingPolicy;
  /** The pass's clock, epoch ms (placement reads no clock itself). Default 0. */
  now?: number;
  /** Priority aging: + this much priority per hour an item has waited (ordering only; gates use the
   * submitted priority). Default 0. */
  priority_aging_per_hour?: number;
  /** Active (starting/running/terminating) jobs per array id before this pass, for max_running. */
  arrayActive?: ReadonlyMap<string, number>;
  /** A job that preempted others: GPUs are held for it even under `skip`, so the freed GPUs are its. */
  preemptor?: string | null;
  /**
   * The MIG devices of the host's GPUs in MIG mode: placed only to items with their profile, first
   * free first (no holding or backfill: a device is one unit, nothing waits for several to drain).
   */
  mig_devices?: readonly PlacementMigDevice[];
}

/** Blocking facts listed in a reason before it is summarised as "+N more". */
export const MAX_REASON_FACTS = 4;

/** Total, deterministic queue order; ids compare by code unit so the locale never matters. */
export function compareForPlacement(a: PlacementItem, b: PlacementItem): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.seq !== b.seq) return a.seq - b.seq;
  return a.queue_id < b.queue_id ? -1 : a.queue_id > b.queue_id ? 1 : 0;
}

/** The placement order with aging: the aged priority first, then {@link compareForPlacement}. */
function orderItems(items: readonly PlacementItem[], now: number, aging: number): PlacementItem[] {
  if (aging === 0) return items.slice().sort(compareForPlacement);
  // Keys computed once (not per comparison): sorting 10,000 items compares ~140,000 times.
  const keys = new Float64Array(items.length);
  for (let i = 0; i < items.length; i++) {
    keys[i] = agedPriority(items[i].priority, items[i].ready_ms ?? now, items[i].held_ms ?? 0, now, aging);
  }
  const order = Array.from(items.keys());
  order.sort((a, b) => keys[b] - keys[a] || compareForPlacement(items[a], items[b]));
  return order.map((i) => items[i]);
}

/** GPUs held for the top waiting job that cannot fit, and when it can start at the earliest. */
interface Hold {
  queue_id: string;
  /** Idle GPUs it will take: only backfill that ends by `start` may use them. */
  held: Set<number>;
  /** Epoch ms at which enough of its GPUs are free (Infinity: unknown, some holder has no limit). */
  start: number;
  /** When `start` is unknown: the holders of its GPUs that end at no known time, in GPU order. */
  unbounded: UnboundedHolder[];
}

/** A job holding GPUs with no bound on when it lets them go. */
interface UnboundedHolder {
  queue_id: string;
  /** Its processes outlived SIGKILL (else: it has no time limit). */
  survives_kill: boolean;
}

interface PriorityCache {
  /** `version` at which `eligible` and `reasons` were computed. */
  version: number;
  eligible: number;
  /** Per request size: the shortfall reason, and whether held GPUs would do (then a backfill hint follows, per item). */
  reasons: Map<number, { reason: string; heldWouldDo: boolean }>;
}

export function place(
  items: readonly PlacementItem[],
  gpus: readonly PlacementGpu[],
  options: PlacementOptions = {},
): PlacementResult {
  const mode = options.mode ?? 'backfill';
  const now = options.now ?? 0;
  const launch: PlacementLaunch[] = [];
  const pending: Record<string, string> = {};
  const arrayActive = new Map(options.arrayActive ?? []);
  /** Why the item may not start now whatever the GPUs; null when it may. */
  const ineligible = (item: PlacementItem): string | null => {
    if (item.waiting_for) return item.waiting_for;
    const cap = item.array_max_running;
    if (item.array_id && cap !== null && cap !== undefined) {
      const active = arrayActive.get(item.array_id) ?? 0;
      if (active >= cap) return `array ${item.array_id} has ${active} running (max_running ${cap})`;
    }
    return null;
  };
  const launched = (item: PlacementItem, gpuIndices: number[], migDevices: string[] = []): void => {
    launch.push({ queue_id: item.queue_id, gpu_indices: gpuIndices, mig_devices: migDevices });
    if (item.array_id) arrayActive.set(item.array_id, (arrayActive.get(item.array_id) ?? 0) + 1);
  };

  // Host GPUs in index order (for reasons), and the idle pool in best-fit order: the most-gated GPU an
  // item clears comes first, keeping ungated GPUs for work that can't use gated ones.
  // A GPU in MIG mode is not a whole GPU any more: only its MIG devices are placed (placeMig).
  const host = gpus.filter((g) => !g.excluded && !g.mig_enabled).sort((a, b) => a.index - b.index);
  const pool = host
    .filter((g) => !g.disabled && g.reserved_by === null)
    .sort((a, b) => gateLevel(b) - gateLevel(a) || a.index - b.index);
  const takenBy = new Map<number, string>(); // GPU index -> queue_id launched on it in this pass
  const takenUntil = new Map<number, number>(); // ... and when that launch's time limit runs out
  const placeMig = migPlacer(gpus, options.mig_devices ?? []);
  let idleLeft = pool.length;
  let hold: Hold | null = null;
  let held: HeldGpus | null = null;
  let blocked: PlacementItem | null = null;

  // Taking GPUs and holding them are the only things that change eligibility or reasons within a
  // pass, so results are cached per (priority, may use held GPUs) and per request size for reasons,
  // and invalidated by bumping `version`.
  let version = 0;
  const caches = [new Map<number, PriorityCache>(), new Map<number, PriorityCache>()];
  const cacheFor = (priority: number, useHeld: boolean): PriorityCache => {
    const cache = caches[useHeld ? 1 : 0];
    let entry = cache.get(priority);
    if (entry === undefined) {
      entry = { version: -1, eligible: 0, reasons: new Map() };
      cache.set(priority, entry);
    }
    if (entry.version !== version) {
      entry.version = version;
      entry.reasons.clear();
      let eligible = 0;
      // Once the pool is drained every GPU-needing item is pending: no need to look.
      if (idleLeft > 0) {
        for (const g of pool) if (usable(g, priority, useHeld)) eligible++;
      }
      entry.eligible = eligible;
    }
    return entry;
  };
  const usable = (g: PlacementGpu, priority: number, useHeld: boolean): boolean =>
    admits(g, priority) && !takenBy.has(g.index) && (useHeld || hold === null || !hold.held.has(g.index));

  for (const item of orderItems(items, now, options.priority_aging_per_hour ?? 0)) {
    // Not eligible items take nothing and hold nothing: as if they were not queued yet.
    const notYet = ineligible(item);
    if (notYet !== null) {
      pending[item.queue_id] = notYet;
      continue;
    }
    if (item.gpu_profile) {
      const got = placeMig(item);
      if (typeof got === 'string') pending[item.queue_id] = got;
      else launched(item, [], got);
      continue;
    }
    const needed = item.requested_gpus;
    if (needed === 0) {
      launched(item, []);
      continue;
    }
    if (!Number.isInteger(needed) || needed < 0) {
      pending[item.queue_id] = `invalid GPU request: ${needed}`;
      continue;
    }
    if (needed > host.length) {
      pending[item.queue_id] = moreThanHostReason(needed, host.length);
      continue;
    }

    // Backfill: a job that surely ends before the held job can start cannot delay it — its time
    // limit and then its kill grace, which a job saving a checkpoint on SIGTERM may take in full.
    const limit = item.time_limit_s ?? null;
    const lastsMs = limit === null ? Infinity : (limit + (item.kill_grace_s ?? 0)) * 1000;
    const useHeld =
      hold !== null &&
      mode === 'backfill' &&
      limit !== null &&
      Number.isFinite(hold.start) &&
      now + lastsMs <= hold.start;
    const entry = cacheFor(item.priority, useHeld);
    if (entry.eligible < needed) {
      const holds = mode !== 'skip' || item.queue_id === options.preemptor;
      if (hold === null && (holds || blocked === null)) {
        const found = holdFor(item, needed, host, takenBy, takenUntil, now);
        if (found !== null) blocked ??= item;
        if (found !== null && holds) {
          hold = found;
          version++;
          const gpuIndices = [...found.held].sort((a, b) => a - b);
          if (gpuIndices.length) {
            const aging = options.priority_aging_per_hour ?? 0;
            const priority = agedPriority(item.priority, item.ready_ms ?? now, item.held_ms ?? 0, now, aging);
            held = { queue_id: item.queue_id, priority, gpu_indices: gpuIndices };
          }
          pending[item.queue_id] =
            shortfallReason(item.priority, needed, entry.eligible, host, takenBy, null) +
            (gpuIndices.length ? heldForIt(gpuIndices) : '') +
            (Number.isFinite(found.start)
              ? `; expected to start within ${Math.max(0, Math.ceil((found.start - now) / 1000))} s`
              : `; no start estimate (${unboundedReason(found.unbounded)})`);
          continue;
        }
      }
      let cached = entry.reasons.get(needed);
      if (cached === undefined) {
        // The hint only where held GPUs would be enough: with them it could start now.
        cached = {
          reason: shortfallReason(
            item.priority,
            needed,
            entry.eligible,
            host,
            takenBy,
            useHeld ? null : hold,
          ),
          heldWouldDo: hold !== null && !useHeld && cacheFor(item.priority, true).eligible >= needed,
        };
        entry.reasons.set(needed, cached);
      }
      pending[item.queue_id] =
        cached.reason + (cached.heldWouldDo ? backfillHint(mode, hold, now, item.kill_grace_s ?? 0) : '');
      continue;
    }

    // Unheld GPUs first: held ones go to backfill only when nothing else is left.
    const chosen: number[] = [];
    for (const pass of hold !== null && useHeld ? [false, true] : [useHeld]) {
      for (const g of pool) {
        if (chosen.length === needed) break;
        if (!usable(g, item.priority, pass) || chosen.includes(g.index)) continue;
        chosen.push(g.index);
      }
    }
    const until = now + lastsMs;
    for (const index of chosen) {
      takenBy.set(index, item.queue_id);
      takenUntil.set(index, until);
    }
    idleLeft -= chosen.length;
    version++;
    // Ascending order reads better in CUDA_VISIBLE_DEVICES and the UI; which GPUs is what best fit decides.
    launched(
      item,
      chosen.sort((a, b) => a - b),
    );
  }

  const countsDownTo = hold !== null && Number.isFinite(hold.start) ? hold.start : null;
  return { launch, pending, blocked, held, countsDownTo };
}

/**
 * The reservation of the top waiting job (EASY backfill): of the GPUs it may use (not disabled, gate
 * cleared), the `needed` that free up first — idle ones now, busy ones when their holder's limit runs
 * out. The idle ones among them are held; its start is when the last of them frees. Null when it could
 * not run even on an empty host (too few GPUs it may use): holding for it would only starve the rest.
 */
function holdFor(
  item: PlacementItem,
  needed: number,
  host: readonly PlacementGpu[],
  takenBy: ReadonlyMap<number, string>,
  takenUntil: ReadonlyMap<number, number>,
  now: number,
): Hold | null {
  const free: { index: number; at: number; idle: boolean; holder: string | undefined; stuck: boolean }[] = [];
  for (const g of host) {
    if (g.disabled || !admits(g, item.priority)) continue;
    const holder = g.reserved_by ?? takenBy.get(g.index);
    let at = now;
    if (g.reserved_by !== null) at = g.reserved_until ?? Infinity;
    else if (holder !== undefined) at = takenUntil.get(g.index) ?? Infinity;
    // A holder past its limit (in its kill grace) is taken to free up any moment.
    const stuck = g.holder_survives_kill === true;
    free.push({ index: g.index, at: Math.max(now, at), idle: holder === undefined, holder, stuck });
  }
  if (free.length < needed) return null;
  // Idle first among equal times, so the GPUs held are the ones it would take now.
  free.sort((a, b) => a.at - b.at || Number(b.idle) - Number(a.idle) || a.index - b.index);
  const mine = free.slice(0, needed);
  const held = new Set(mine.filter((f) => f.idle).map((f) => f.index));
  const unbounded = new Map<string, UnboundedHolder>();
  for (const f of mine.filter((f) => f.at === Infinity).sort((a, b) => a.index - b.index))
    unbounded.set(f.holder!, { queue_id: f.holder!, survives_kill: f.stuck });
  return { queue_id: item.queue_id, held, start: mine[needed - 1].at, unbounded: [...unbounded.values()] };
}

/** Why the held job has no start estimate: "q_a has no time limit; q_b has processes that outlived SIGKILL". */
function unboundedReason(holders: readonly UnboundedHolder[]): string {
  const says = (ids: string[], one: string, many: string) =>
    ids.length ? [`${ids.join(', ')} ${ids.length === 1 ? one : many}`] : [];
  const ids = (stuck: boolean) => holders.filter((h) => h.survives_kill === stuck).map((h) => h.queue_id);
  return [
    ...says(ids(false), 'has no time limit', 'have no time limit'),
    ...says(ids(true), 'has processes that outlived SIGKILL', 'have processes that outlived SIGKILL'),
  ].join('; ');
}

/**
 * Tells a waiting job how it could still start now: with a time limit that, with its kill grace
 * (`graceS`), ends before the hold.
 */
function backfillHint(mode: SchedulingPolicy, hold: Hold | null, now: number, graceS: number): string {
  if (hold === null || mode !== 'backfill' || !Number.isFinite(hold.start)) return '';
  const seconds = Math.floor((hold.start - now) / 1000) - graceS;
  return seconds > 0 ? `; a time_limit_s ≤ ${seconds} would let it use held GPUs` : '';
}

/** Whether the GPU's gate lets an item of this priority through (always, without a gate). */
function admits(g: PlacementGpu, priority: number): boolean {
  return g.min_priority === null || priority >= g.min_priority;
}

/** For best fit: an ungated GPU admits everything, so it sorts below every gate. */
function gateLevel(g: PlacementGpu): number {
  return g.min_priority ?? -Infinity;
}

/**
 * Places MIG items within one pass: the first `requested_gpus` free devices of the item's profile
 * (in the order given: GPU, then device index) whose GPU is not excluded or disabled and whose gate
 * the item clears. Returns their UUIDs, or the pending reason: "no free 1g.10gb MIG device (2 of 2 busy)".
 */
function migPlacer(
  gpus: readonly PlacementGpu[],
  devices: readonly PlacementMigDevice[],
): (item: PlacementItem) => string[] | string {
  const gpuOf = new Map(gpus.map((g) => [g.index, g]));
  const taken = new Set<string>();
  return (item) => {
    const profile = item.gpu_profile!;
    const needed = item.requested_gpus;
    if (!Number.isInteger(needed) || needed < 1) return `invalid MIG device request: ${needed}`;
    const mine = devices.filter((d) => d.profile === profile && gpuOf.get(d.gpu_index)?.excluded === false);
    if (mine.length === 0) return `no ${profile} MIG device on this host`;
    if (needed > mine.length)
      return `needs ${needed} ${profile} MIG devices, but this host only has ${mine.length}`;
    const busy = mine.filter((d) => d.reserved_by !== null || taken.has(d.uuid)).length;
    const free = mine.filter((d) => {
      const g = gpuOf.get(d.gpu_index)!;
      return d.reserved_by === null && !taken.has(d.uuid) && !g.disabled && admits(g, item.priority);
    });
    if (free.length >= needed) {
      const chosen = free.slice(0, needed).map((d) => d.uuid);
      for (const uuid of chosen) taken.add(uuid);
      return chosen;
    }
    const off = mine.length - busy - free.length;
    const facts = `${busy} of ${mine.length} busy${off ? `; ${off} on a disabled GPU or one gated above its priority` : ''}`;
    return needed === 1
      ? `no free ${profile} MIG device (${facts})`
      : `needs ${needed} ${profile} MIG devices, ${free.length} free (${facts})`;
  };
}

function moreThanHostReason(needed: number, usable: number): string {
  return usable === 0
    ? `needs ${plural(needed, 'GPU')}, but this host has no usable GPUs`
    : `needs ${plural(needed, 'GPU')}, but this host only has ${plural(usable, 'usable GPU')}`;
}

/**
 * "needs 4 GPUs, 0 eligible (GPUs 0-2 disabled; GPU 5 requires priority ≥ 10; GPU 4 held for q_…;
 * GPUs 3,6 reserved by q_…)": one fact per cause, the GPUs sharing it grouped, and what decides first —
 * policy (disabled, then a gate) outlasts a hold for a higher-priority job, which outlasts a holder
 * that will end — so the deciding fact is never the one behind "+N more".
 */
function shortfallReason(
  priority: number,
  needed: number,
  eligible: number,
  host: readonly PlacementGpu[],
  takenBy: ReadonlyMap<number, string>,
  hold: Hold | null,
): string {
  // Keyed by the cause's text; GPUs join in index order, groups are ranked below.
  const groups = new Map<string, { rank: number; gpus: number[]; one: string; many: string }>();
  const add = (g: PlacementGpu, rank: number, one: string, many = one): void => {
    const group = groups.get(one) ?? { rank, gpus: [], one, many };
    group.gpus.push(g.index);
    groups.set(one, group);
  };
  for (const g of host) {
    // One cause per GPU, what keeps it from this job longest. (A disabled GPU shown only as reserved
    // read as if the job would start when its holder ended.)
    const holder = g.reserved_by ?? takenBy.get(g.index);
    const held = holder === undefined ? '' : `, reserved by ${holder}`;
    if (g.disabled) add(g, 0, `disabled${held}`);
    else if (!admits(g, priority))
      add(
        g,
        1,
        `requires priority ≥ ${g.min_priority}${held}`,
        `require priority ≥ ${g.min_priority}${held}`,
      );
    else if (holder !== undefined) add(g, 3, `reserved by ${holder}`);
    else if (hold?.held.has(g.index)) add(g, 2, `held for ${hold.queue_id}`);
  }
  const ranked = [...groups.values()].sort((a, b) => a.rank - b.rank); // stable: by first GPU within a rank
  const facts = ranked
    .slice(0, MAX_REASON_FACTS)
    .map((f) => `${gpuList(f.gpus)} ${f.gpus.length === 1 ? f.one : f.many}`);
  if (ranked.length > MAX_REASON_FACTS) facts.push(`+${ranked.length - MAX_REASON_FACTS} more`);
  return `needs ${plural(needed, 'GPU')}, ${eligible} eligible (${facts.join('; ')})`;
}

/**
 * The part of the top waiting job's pending reason that says which idle GPUs are held for it
 * ("; GPUs 2,3 held for it"): `indices` ascending, as in PlacementResult.held.
 */
export function heldForIt(indices: readonly number[]): string {
  return `; ${gpuList(indices)} held for it`;
}

/** "GPU 4", "GPUs 5,6", "GPUs 0-3,7": ascending indices, runs of three or more as a range. */
function gpuList(indices: readonly number[]): string {
  if (indices.length === 1) return `GPU ${indices[0]}`;
  const parts: string[] = [];
  for (let i = 0; i < indices.length;) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j] + 1) j++;
    if (j - i >= 2) parts.push(`${indices[i]}-${indices[j]}`);
    else parts.push(...indices.slice(i, j + 1).map(String));
    i = j + 1;
  }
  return `GPUs ${parts.join(',')}`;
}
