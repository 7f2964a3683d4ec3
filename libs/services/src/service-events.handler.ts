import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { JobFinishedEvent, JobStartedEvent } from '@trainyard/jobs';
import { ServiceSupervisor } from './service-supervisor';

/** Job ends drive the restart policy; job starts begin health probes. */
@EventsHandler(JobFinishedEvent, JobStartedEvent)
export class ServiceJobEvents implements IEventHandler<JobFinishedEvent | JobStartedEvent> {
  constructor(private readonly supervisor: ServiceSupervisor) {}

  handle(event: JobFinishedEvent | JobStartedEvent): void {
    if (event instanceof JobFinishedEvent) void this.supervisor.onJobFinished(event.queue_id);
    else void this.supervisor.onJobStarted(event.queue_id);
  }
}
