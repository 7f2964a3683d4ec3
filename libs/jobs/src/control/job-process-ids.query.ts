import { Query } from '@nestjs/cqrs';

/**
 * The pids of every live process of job `queueId` (answered by the scheduler, which supervises
 * jobs: by cgroup, monitor and environment tag); empty when it has none, or is not one of this
 * server's active jobs.
 */
export class JobProcessIdsQuery extends Query<number[]> {
  constructor(readonly queueId: string) {
    super();
  }
}
