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
