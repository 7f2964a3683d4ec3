import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { JobProcessIdsQuery } from '@trainyard/jobs';
import { ActiveJobs } from '../supervision/active-jobs';
import { JobProcesses } from '../supervision/job-processes';

@QueryHandler(JobProcessIdsQuery)
export class JobProcessIdsHandler implements IQueryHandler<JobProcessIdsQuery, number[]> {
  constructor(
    private readonly active: ActiveJobs,
    private readonly processes: JobProcesses,
  ) {}

  execute({ queueId }: JobProcessIdsQuery): Promise<number[]> {
    const job = this.active.get(queueId);
    return Promise.resolve(job ? this.processes.find(job).map((p) => p.pid) : []);
  }
}
