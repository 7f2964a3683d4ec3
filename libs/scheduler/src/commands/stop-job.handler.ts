import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AbortJobCommand, StopResult } from '@trainyard/jobs';
import { JobSupervisor } from '../job-supervisor';

/** kill / abort (SIGTERM) and force-kill (SIGKILL) of a launched job's processes. */
@CommandHandler(AbortJobCommand)
export class AbortJobHandler implements ICommandHandler<AbortJobCommand, StopResult> {
  constructor(private readonly supervisor: JobSupervisor) {}

  execute({ queueId, signal, reason }: AbortJobCommand): Promise<StopResult> {
    return this.supervisor.stop(queueId, signal, reason);
  }
}
