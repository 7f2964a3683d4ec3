import { Query } from '@nestjs/cqrs';

/**
 * Idle GPUs the scheduler keeps for the top waiting job until it can start (`strict` or `backfill`
 * policy, or a job that preempted others): `priority` is that job's ordering priority, aging
 * included, so a job submitted now with that priority or lower is placed after it and does not get
 * them (except a backfill job whose time limit ends before the held job can start).
 */
export interface HeldGpus {
  queue_id: string;
  priority: number;
  /** Ascending. */
  gpu_indices: number[];
}

/**
 * The GPUs held by the scheduler's last placement pass (see HeldGpus), or null when it holds none:
 * what a cluster node tells the master so that a rank is not counted on them. Answered by the scheduler.
 */
export class HeldGpusQuery extends Query<HeldGpus | null> {}
