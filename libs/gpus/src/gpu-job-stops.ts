import { Injectable } from '@nestjs/common';

/**
 * Stops, through the job lifecycle, the jobs among `queueIds` that hold GPU `gpuIndex`: the
 * termination request (user_kill) persisted first, then every process of each job SIGKILLed, so the
 * job ends `aborted` with that reason — not `failed` as a crash. Resolves with the ids it stopped.
 */
export type GpuJobStopper = (gpuIndex: number, queueIds: readonly string[]) => Promise<string[]>;

/**
 * Where the owner of jobs (the scheduler) tells a GPU kill how to stop them, without the GPUs lib
 * depending on it. With none registered (no scheduler), a GPU kill only signals processes.
 */
@Injectable()
export class GpuJobStops {
  private stopper: GpuJobStopper = async () => [];

  register(stopper: GpuJobStopper): void {
    this.stopper = stopper;
  }

  stop(gpuIndex: number, queueIds: readonly string[]): Promise<string[]> {
    return queueIds.length ? this.stopper(gpuIndex, queueIds) : Promise.resolve([]);
  }
}
