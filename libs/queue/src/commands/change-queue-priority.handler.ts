import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { Job, JobPriorityChangedEvent, JobRepository, PendingReasons } from '@trainyard/jobs';
import { ChangeQueuePriorityCommand } from './change-queue-priority.command';

/**
 * A queued job's new priority, in one transaction with its journal entry. Its submit order (seq) and
 * submitted_at stay, so among equal priorities it keeps its place and its age: it is not a resubmit.
 * The event wakes the dispatcher, which re-places the queue at once; until it has, the job has no
 * pending reason (the last pass's was for its old priority).
 */
@CommandHandler(ChangeQueuePriorityCommand)
export class ChangeQueuePriorityHandler implements ICommandHandler<ChangeQueuePriorityCommand, Job> {
  constructor(
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
    private readonly reasons: PendingReasons,
  ) {}

  async execute({ queueId, priority }: ChangeQueuePriorityCommand): Promise<Job> {
    const { job, changed } = await this.journal.record(async (tx) => {
      const job = await this.jobs.get(queueId, tx);
      if (!job) throw new DomainError('QUEUE_ITEM_NOT_FOUND', `no queue item ${queueId}`);
      if (job.status !== 'queued' || !(await this.jobs.setQueuedPriority(tx, queueId, priority))) {
        throw new DomainError(
          'JOB_NOT_QUEUED',
          `${queueId} is ${job.status}, not queued: only a queued job's priority can be changed`,
        );
      }
      if (job.priority === priority) return { result: { job, changed: false }, events: [] };
      const event = new JobPriorityChangedEvent({
        queue_id: queueId,
        priority,
        previous_priority: job.priority,
        changed_at: new Date().toISOString(),
      });
      return { result: { job: { ...job, priority }, changed: true }, events: [event] };
    });
    // After the commit, so every pass from now on reads the new priority (one under way may still
    // put the old reason back: the event's wake runs another after it).
    if (changed) this.reasons.forget(queueId);
    return job;
  }
}
