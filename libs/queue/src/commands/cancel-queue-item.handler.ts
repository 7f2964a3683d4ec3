import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { isActive, JobFiles, JobHooks, JobRepository, TerminateJobCommand } from '@trainyard/jobs';
import { cancelQueued } from './cancel-queued';
import { CancelOutcome, CancelQueueItemCommand } from './cancel-queue-item.command';

/**
 * Queued, never run and in no array → removed; an array's, or queued for another attempt after
 * running (preempted) → aborted for the command's request, its record kept (see cancelQueued); active
 * → stopped for it: user_abort (SIGTERM, grace, SIGKILL) or bundle_rollback (SIGKILL).
 */
@CommandHandler(CancelQueueItemCommand)
export class CancelQueueItemHandler implements ICommandHandler<CancelQueueItemCommand, CancelOutcome> {
  constructor(
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
    private readonly commandBus: CommandBus,
    private readonly hooks: JobHooks,
    private readonly files: JobFiles,
  ) {}

  async execute({ queueId, request }: CancelQueueItemCommand): Promise<CancelOutcome> {
    const outcome = await this.journal.record(async (tx) => {
      const job = await this.jobs.get(queueId, tx);
      if (!job) throw new DomainError('QUEUE_ITEM_NOT_FOUND', `no queue item ${queueId}`);
      if (job.status === 'queued') {
        const { removed, events } = await cancelQueued(
          tx,
          this.jobs,
          this.journal,
          this.hooks,
          [job],
          request,
        );
        return { result: removed.length ? ('removed' as const) : ('aborted' as const), events };
      }
      if (isActive(job.status)) return { result: 'aborting' as const, events: [] };
      throw new DomainError(
        'JOB_NOT_RUNNING',
        `${queueId} already ended (${job.status}); to remove it and its log: DELETE /api/jobs/${queueId} (trainyard sched cleanup ${queueId})`,
      );
    });
    if (outcome === 'aborting') {
      await this.commandBus.execute(new TerminateJobCommand(queueId, request));
    }
    // Its control directory and secret files (the last attempt's) are nobody's any more.
    if (outcome === 'aborted') this.files.removeSpent([queueId]);
    return outcome;
  }
}
