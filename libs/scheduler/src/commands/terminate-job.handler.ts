import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { StopResult, TerminateJobCommand } from '@trainyard/jobs';
import { JobStopper } from '../supervision/job-stopper';

@CommandHandler(TerminateJobCommand)
export class TerminateJobHandler implements ICommandHandler<TerminateJobCommand, StopResult> {
  constructor(private readonly stopper: JobStopper) {}

  execute({ queueId, request, signal }: TerminateJobCommand): Promise<StopResult> {
    return this.stopper.stop(queueId, request, signal);
  }
}
