import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DomainError, SERVER_CONFIG, ServerConfig } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { JobRepository } from '../infrastructure/job.repository';
import { isTerminal, TERMINAL_STATUSES } from '../job-status';
import { JobsDeletedEvent } from '../job.events';
import { JobFiles } from '../job-files';
import { DeleteJobsCommand } from './delete-jobs.command';

@CommandHandler(DeleteJobsCommand)
export class DeleteJobsHandler implements ICommandHandler<DeleteJobsCommand, string[]> {
  private readonly files: JobFiles;

  constructor(
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
    @Inject(SERVER_CONFIG) config: ServerConfig,
  ) {
    this.files = new JobFiles(config.paths);
  }

  async execute({ queueId }: DeleteJobsCommand): Promise<string[]> {
    const deleted = await this.journal.record(async (tx) => {
      let ids: string[];
      if (queueId) {
        const job = await this.jobs.get(queueId, tx);
        if (!job) throw new DomainError('JOB_NOT_FOUND', `no job ${queueId}`);
        if (!isTerminal(job.status)) {
          throw new DomainError(
            'JOB_STILL_RUNNING',
            `${queueId} is ${job.status}: ${job.status === 'queued' ? 'cancel it from the queue' : 'kill it first'}`,
          );
        }
        ids = [queueId];
      } else {
        ids = (await this.jobs.withStatus(TERMINAL_STATUSES, tx)).map((j) => j.id);
      }
      for (const id of ids) await this.jobs.delete(tx, id);
      return { result: ids, events: ids.length ? [new JobsDeletedEvent(ids)] : [] };
    });
    // Files (secrets included) go after the commit: a crash in between leaves orphans, which GC removes.
    this.files.removeAll(deleted);
    return deleted;
  }
}
