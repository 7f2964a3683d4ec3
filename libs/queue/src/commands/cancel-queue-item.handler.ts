import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { isActive, JobCancelledEvent, JobHooks, JobRepository, TerminateJobCommand } from '@trainyard/jobs';
import { CancelOutcome, CancelQueueItemCommand } from './cancel-queue-item.command';

/** Queued → removed; active → stopped as user_abort (SIGTERM, grace, SIGKILL). */
@CommandHandler(CancelQueueItemCommand)
export class CancelQueueItemHandler implements ICommandHandler<CancelQueueItemCommand, CancelOutcome> {
  constructor(
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
    private readonly commandBus: CommandBus,
    private readonly hooks: JobHooks,
  ) {}

  async execute({ queueId }: CancelQueueItemCommand): Promise<CancelOutcome> {
    const outcome = await this.journal.record(async (tx) => {
      const job = await this.jobs.get(queueId, tx);
      if (!job) throw new DomainError('QUEUE_ITEM_NOT_FOUND', `no queue item ${queueId}`);
      if (job.status === 'queued') {
        await this.jobs.delete(tx, queueId);
        // A requeued job has a run from its earlier attempt: it ends with the job.
        const end = { queue_id: queueId, status: 'aborted' as const, ended_at: new Date().toISOString() };
        const events = [new JobCancelledEvent(queueId), ...(await this.hooks.ended(tx, [end]))];
        return { result: 'removed' as const, events };
      }
      if (isActive(job.status)) return { result: 'aborting' as const, events: [] };
      throw new DomainError(
        'JOB_NOT_RUNNING',
        `${queueId} already ended (${job.status}); to remove it and its log: DELETE /api/jobs/${queueId} (trainyard sched cleanup ${queueId})`,
      );
    });
    if (outcome === 'aborting') {
      await this.commandBus.execute(new TerminateJobCommand(queueId, 'user_abort'));
    }
    return outcome;
  }
}
