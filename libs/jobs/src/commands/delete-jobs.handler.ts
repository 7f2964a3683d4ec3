import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { DomainError, SERVER_CONFIG, ServerConfig } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { JobRepository } from '../infrastructure/job.repository';
import { isTerminal, TERMINAL_STATUSES } from '../job-lifecycle';
import { JobsDeletedEvent } from '../job.events';
import { JobFiles } from '../job-files';
import { DeleteJobsCommand } from './delete-jobs.command';

/**
 * Cleanup removes finished jobs this many at a time: one transaction, one `job.deleted` journal entry
 * (so an entry, and the change it makes, lists at most this many ids: about 14 KB) and their files per
 * chunk, then the event loop runs other work before the next chunk.
 */
export const CLEANUP_CHUNK_SIZE = 500;

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
    if (queueId) return this.deleteOne(queueId);
    const deleted: string[] = [];
    for (;;) {
      const chunk = await this.deleteChunk();
      deleted.push(...chunk);
      if (chunk.length < CLEANUP_CHUNK_SIZE) return deleted;
      await yieldToEventLoop();
    }
  }

  private async deleteOne(queueId: string): Promise<string[]> {
    const deleted = await this.journal.record(async (tx) => {
      const job = await this.jobs.get(queueId, tx);
      if (!job) throw new DomainError('JOB_NOT_FOUND', `no job ${queueId}`);
      if (!isTerminal(job.status)) {
        throw new DomainError(
          'JOB_STILL_RUNNING',
          `${queueId} is ${job.status}: ${job.status === 'queued' ? 'cancel it from the queue' : 'kill it first'}`,
        );
      }
      await this.jobs.deleteMany(tx, [queueId]);
      return { result: [queueId], events: [new JobsDeletedEvent([queueId])] };
    });
    await this.removeFiles(deleted);
    return deleted;
  }

  /** Up to CLEANUP_CHUNK_SIZE finished jobs, in one transaction; their files after the commit. */
  private async deleteChunk(): Promise<string[]> {
    const ids = await this.journal.record(async (tx) => {
      const found = await this.jobs.idsWithStatus(TERMINAL_STATUSES, CLEANUP_CHUNK_SIZE, tx);
      await this.jobs.deleteMany(tx, found);
      return { result: found, events: found.length ? [new JobsDeletedEvent(found)] : [] };
    });
    await this.removeFiles(ids);
    return ids;
  }

  /** After the commit (secrets included): a crash in between leaves only orphan files, which GC removes. */
  private async removeFiles(ids: string[]): Promise<void> {
    this.files.removeAll(ids);
    await yieldToEventLoop();
  }
}
