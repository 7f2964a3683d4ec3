import { Injectable, OnModuleInit } from '@nestjs/common';
import { allAtOnce } from '@trainyard/core';
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
      const stopped = queueIds.filter((id) => this.active.get(id)?.gpuIndices.includes(gpuIndex));
      await allAtOnce(stopped, (id) => this.stopper.stop(id, 'user_kill'));
      return stopped;
    });
  }
}
