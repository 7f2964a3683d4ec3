import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '@trainyard/core';
import { StopResult, TerminateJobCommand } from '@trainyard/jobs';
import { ActiveJobs, runsElsewhere } from '../supervision/active-jobs';
import { JobStopper } from '../supervision/job-stopper';

@CommandHandler(TerminateJobCommand)
export class TerminateJobHandler implements ICommandHandler<TerminateJobCommand, StopResult> {
  constructor(
    private readonly stopper: JobStopper,
    private readonly active: ActiveJobs,
  ) {}

  /** Stops a job; 409 CONFLICT for one that runs for another state directory (see ActiveJob.foreignMonitor). */
  execute({ queueId, request, signal }: TerminateJobCommand): Promise<StopResult> {
    const entry = this.active.get(queueId);
    if (entry && runsElsewhere(entry)) {
      const pid = entry.foreignMonitor!.pid;
      throw new DomainError(
        'CONFLICT',
        `${queueId} runs for another state directory: its monitor (pid ${pid}) writes that directory's log, ` +
          "and this one is a copy of it. It is not signalled from here; stop it from that directory's server, " +
          `or end its processes (kill -- -${pid}). Its GPUs stay reserved here until it ends`,
      );
    }
    return this.stopper.stop(queueId, request, signal);
  }
}
