/** What an operator decides per GPU; the scheduler reads it through `GpuInventory.placementGpus()`. */
export interface GpuPolicy {
  /** The scheduler places nothing new on a disabled GPU (running jobs keep running). */
  disabled: boolean;
  /**
   * The priority gate: only queue items with at least this priority may be placed on the GPU.
   * null = no gate (every priority, negative ones included); a gate exists only once an operator sets one.
   */
  min_priority: number | null;
}

export const DEFAULT_GPU_POLICY: Readonly<GpuPolicy> = Object.freeze({ disabled: false, min_priority: null });

export function samePolicy(a: GpuPolicy, b: GpuPolicy): boolean {
  return a.disabled === b.disabled && a.min_priority === b.min_priority;
}

/** A stored policy: the GPU index it was set at and, when nvidia-smi reported it, the card's UUID. */
export interface StoredGpuPolicy extends GpuPolicy {
  gpu_index: number;
  gpu_uuid: string | null;
}

/**
 * The policy of the GPU at `index` whose card is `uuid` (null: unknown), from the stored ones: the
 * one set on this card, wherever it was then; else the one set at this index unless it names another
 * card (then the default, and `other` is that policy, for a warning: it applies to no card here when
 * that card is gone). A policy without a card applies by index.
 */
export function resolveGpuPolicy(
  stored: readonly StoredGpuPolicy[],
  index: number,
  uuid: string | null,
): { policy: GpuPolicy; other: StoredGpuPolicy | null } {
  const own = uuid === null ? undefined : stored.find((p) => p.gpu_uuid === uuid);
  if (own) return { policy: pick(own), other: null };
  const atIndex = stored.find((p) => p.gpu_index === index);
  if (!atIndex) return { policy: { ...DEFAULT_GPU_POLICY }, other: null };
  if (atIndex.gpu_uuid === null || uuid === null) return { policy: pick(atIndex), other: null };
  return { policy: { ...DEFAULT_GPU_POLICY }, other: atIndex };
}

/**
 * `stored` after `next` was set: it replaces the policy stored at its index and any other set on its
 * card (the card moved). The one rule for the live path and for a replica's replay.
 */
export function withGpuPolicy(stored: readonly StoredGpuPolicy[], next: StoredGpuPolicy): StoredGpuPolicy[] {
  return [
    ...stored.filter(
      (p) => p.gpu_index !== next.gpu_index && (next.gpu_uuid === null || p.gpu_uuid !== next.gpu_uuid),
    ),
    { ...next },
  ].sort((a, b) => a.gpu_index - b.gpu_index);
}

function pick(p: GpuPolicy): GpuPolicy {
  return { disabled: p.disabled, min_priority: p.min_priority };
}
