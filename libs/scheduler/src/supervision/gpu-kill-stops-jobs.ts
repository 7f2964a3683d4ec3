import { Injectable, OnModuleInit } from '@nestjs/common';
import { GpuJobStops } from '@trainyard/gpus';
import { ActiveJobs } from './active-jobs';
import { JobStopper } from './job-stopper';

/**
 * A GPU kill (`POST /api/gpus/{index}/kill`) stops the jobs on that GPU as a force-kill would:
 * `user_kill` recorded, then every process of the job SIGKILLed; the job ends aborted, not failed.
 * Only a job whose record holds that GPU: a process claiming another job's id is just a process.
 */
@Injectable()
export class GpuKillStopsJobs implements OnModuleInit {
  constructor(
    private readonly stops: GpuJobStops,
    private readonly active: ActiveJobs,
    private readonly stopper: JobStopper,
  ) {}

  onModuleInit(): void {
    this.stops.register(async (gpuIndex, queueIds) => {
      const stopped: string[] = [];
      for (const id of queueIds) {
        if (!this.active.get(id)?.gpuIndices.includes(gpuIndex)) continue;
        await this.stopper.stop(id, 'user_kill');
        stopped.push(id);
      }
      return stopped;
    });
  }
}
