/**
 * The seam between GPUs and scheduling (agreed contract; `GpuInventory` implements it).
 * The scheduler pushes reservations in (gpus never imports the scheduler), and reads the
 * placement view out.
 */
export interface PlacementGpuView {
  index: number;
  /** Hidden from scheduling by CUDA_VISIBLE_DEVICES at server start. */
  excluded: boolean;
  disabled: boolean;
  /** The priority gate; null = none (every priority). */
  min_priority: number | null;
  /** queue_id of the starting/running job holding it, or null. */
  reserved_by: string | null;
  /**
   * nvidia-smi reports MIG mode enabled: never placed as a whole GPU; only its MIG devices
   * ({@link PlacementMigView}) are, to jobs that ask for their profile (`gpu_profile`).
   */
  mig_enabled: boolean;
}

/** One MIG device as placement sees it. */
export interface PlacementMigView {
  /** What CUDA_VISIBLE_DEVICES names it by. */
  uuid: string;
  /** The GPU it is carved from (its policy applies). */
  gpu_index: number;
  /** e.g. `1g.10gb`. */
  profile: string;
  /** queue_id of the starting/running job holding it, or null. */
  reserved_by: string | null;
}

/**
 * Every job gets these variables. A GPU process is traced back to one of OUR jobs only when it runs
 * as the server's uid and its NODE_ID_ENV is this server's node id (anyone can set the job id).
 */
export const JOB_ID_ENV = 'TRAINYARD_JOB_ID';
export const NODE_ID_ENV = 'TRAINYARD_NODE_ID';
