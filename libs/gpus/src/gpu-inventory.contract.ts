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
  min_priority: number;
  /** queue_id of the starting/running job holding it, or null. */
  reserved_by: string | null;
}

/** Every job gets this variable; it is how a GPU process is traced back to our job. */
export const JOB_ID_ENV = 'TRAINYARD_JOB_ID';
