/**
 * Placement: which queued items launch now, on which GPUs, and why the others wait.
 *
 * Pure and synchronous — no clock, no I/O — so the dispatcher can run it on every wake-up and the
 * rules can be tested exhaustively. See ARCHITECTURE.md "Scheduling".
 */

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
}

/** What else limits who may start, besides GPUs. */
export interface PlacementLimits {
  /** Active (starting/running/terminating) jobs per array id, before this pass. */
  arrayActive?: ReadonlyMap<string, number>;
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
  /** MIG mode on: placed as a whole GPU (MIG instances are not scheduled yet), which reasons mention. */
  mig_enabled: boolean;
}

export interface PlacementLaunch {
  queue_id: string;
  /** Ascending; empty for a zero-GPU item. */
  gpu_indices: number[];
}

export interface PlacementResult {
  /** In placement order (priority desc, seq asc, queue_id asc). */
  launch: PlacementLaunch[];
  /** queue_id -> human reason, for every item not launched. */
  pending: Record<string, string>;
}

/** Blocking facts listed in a reason before it is summarised as "+N more". */
export const MAX_REASON_FACTS = 4;

/** Total, deterministic queue order; ids compare by code unit so the locale never matters. */
export function compareForPlacement(a: PlacementItem, b: PlacementItem): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.seq !== b.seq) return a.seq - b.seq;
  return a.queue_id < b.queue_id ? -1 : a.queue_id > b.queue_id ? 1 : 0;
}

interface PriorityCache {
  /** `version` at which `eligible` and `reasons` were computed. */
  version: number;
  eligible: number;
  reasons: Map<number, string>;
}

export function place(
  items: readonly PlacementItem[],
  gpus: readonly PlacementGpu[],
  limits: PlacementLimits = {},
): PlacementResult {
  const launch: PlacementLaunch[] = [];
  const pending: Record<string, string> = {};
  const arrayActive = new Map(limits.arrayActive ?? []);
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
  const launched = (item: PlacementItem, gpuIndices: number[]): void => {
    launch.push({ queue_id: item.queue_id, gpu_indices: gpuIndices });
    if (item.array_id) arrayActive.set(item.array_id, (arrayActive.get(item.array_id) ?? 0) + 1);
  };

  // Host GPUs in index order (for reasons), and the idle pool in best-fit order: the most-gated GPU an
  // item clears comes first, keeping ungated GPUs for work that can't use gated ones.
  const host = gpus.filter((g) => !g.excluded).sort((a, b) => a.index - b.index);
  const pool = host
    .filter((g) => !g.disabled && g.reserved_by === null)
    .sort((a, b) => gateLevel(b) - gateLevel(a) || a.index - b.index);
  const takenBy = new Map<number, string>(); // GPU index -> queue_id launched on it in this pass
  const note = migNote(host);
  let idleLeft = pool.length;

  // Taking GPUs is the only thing that changes eligibility or reasons within a pass, so results are
  // cached per priority (and per request size for reasons) and invalidated by bumping `version`.
  let version = 0;
  const cache = new Map<number, PriorityCache>();
  const cacheFor = (priority: number): PriorityCache => {
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
        for (const g of pool) if (admits(g, priority) && !takenBy.has(g.index)) eligible++;
      }
      entry.eligible = eligible;
    }
    return entry;
  };

  const ordered = items.slice().sort(compareForPlacement);
  for (const item of ordered) {
    // Not eligible items take nothing and hold nothing: as if they were not queued yet.
    const notYet = ineligible(item);
    if (notYet !== null) {
      pending[item.queue_id] = notYet;
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
      pending[item.queue_id] = moreThanHostReason(needed, host.length) + note;
      continue;
    }

    const entry = cacheFor(item.priority);
    if (entry.eligible < needed) {
      let reason = entry.reasons.get(needed);
      if (reason === undefined) {
        reason = shortfallReason(item.priority, needed, entry.eligible, host, takenBy) + note;
        entry.reasons.set(needed, reason);
      }
      pending[item.queue_id] = reason;
      continue;
    }

    const chosen: number[] = [];
    for (const g of pool) {
      if (!admits(g, item.priority) || takenBy.has(g.index)) continue;
      chosen.push(g.index);
      if (chosen.length === needed) break;
    }
    for (const index of chosen) takenBy.set(index, item.queue_id);
    idleLeft -= chosen.length;
    version++;
    // Ascending order reads better in CUDA_VISIBLE_DEVICES and the UI; which GPUs is what best fit decides.
    launched(
      item,
      chosen.sort((a, b) => a - b),
    );
  }

  return { launch, pending };
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
 * Until MIG instances are scheduled, a waiting item is told that a MIG GPU it may get is used whole:
 * "; GPU 1 has MIG enabled, placed as a whole GPU". Empty when no host GPU has MIG on.
 */
function migNote(host: readonly PlacementGpu[]): string {
  const mig = host.filter((g) => g.mig_enabled).map((g) => `GPU ${g.index}`);
  if (mig.length === 0) return '';
  return `; ${mig.join(', ')} ${mig.length === 1 ? 'has' : 'have'} MIG enabled, placed as a whole GPU`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function moreThanHostReason(needed: number, usable: number): string {
  return usable === 0
    ? `needs ${plural(needed, 'GPU')}, but this host has no usable GPUs`
    : `needs ${plural(needed, 'GPU')}, but this host only has ${plural(usable, 'usable GPU')}`;
}

/** "needs 4 GPUs, 2 eligible (GPU 1 disabled; GPU 3 reserved by q_…; GPU 2 requires priority ≥ 10)" */
function shortfallReason(
  priority: number,
  needed: number,
  eligible: number,
  host: readonly PlacementGpu[],
  takenBy: ReadonlyMap<number, string>,
): string {
  const facts: string[] = [];
  let more = 0;
  for (const g of host) {
    // One fact per GPU, the most concrete one: a holder beats policy, policy beats the gate.
    const holder = g.reserved_by ?? takenBy.get(g.index);
    let fact: string | undefined;
    if (holder !== undefined) fact = `GPU ${g.index} reserved by ${holder}`;
    else if (g.disabled) fact = `GPU ${g.index} disabled`;
    else if (!admits(g, priority)) fact = `GPU ${g.index} requires priority ≥ ${g.min_priority}`;
    if (fact === undefined) continue;
    if (facts.length < MAX_REASON_FACTS) facts.push(fact);
    else more++;
  }
  if (more > 0) facts.push(`+${more} more`);
  return `needs ${plural(needed, 'GPU')}, ${eligible} eligible (${facts.join('; ')})`;
}
