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
   * nvidia-smi reports MIG mode enabled. Trainyard does not schedule MIG instances yet: such a GPU
   * is placed as a whole GPU (CUDA_VISIBLE_DEVICES names the GPU), which pending reasons say.
   */
  mig_enabled: boolean;
}

/**
 * Every job gets these variables. A GPU process is traced back to one of OUR jobs only when it runs
 * as the server's uid and its NODE_ID_ENV is this server's node id (anyone can set the job id).
 */
export const JOB_ID_ENV = 'TRAINYARD_JOB_ID';
export const NODE_ID_ENV = 'TRAINYARD_NODE_ID';
