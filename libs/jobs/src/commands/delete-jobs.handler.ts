import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { DomainError, isStorageRefusal, SERVER_CONFIG, ServerConfig } from '@trainyard/core';
import type { Tx } from '@trainyard/database';
import { Journal } from '@trainyard/journal';
import { JobRepository } from '../infrastructure/job.repository';
import { isTerminal } from '../job-lifecycle';
import { JobsDeletedEvent } from '../job.events';
import { removeJobRows } from '../job-removal';
import { JobFiles } from '../job-files';
import { type CleanupFilter, DeletedJobs, DeleteJobsCommand } from './delete-jobs.command';

/**
 * Cleanup removes finished jobs this many at a time: one transaction, one `job.deleted` journal entry
 * (so an entry, and the change it makes, lists at most this many ids: about 14 KB) and their files per
 * chunk, then the event loop runs other work before the next chunk.
 */
export const CLEANUP_CHUNK_SIZE = 500;

@CommandHandler(DeleteJobsCommand)
export class DeleteJobsHandler implements ICommandHandler<DeleteJobsCommand, DeletedJobs> {
  private readonly files: JobFiles;

  constructor(
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
    @Inject(SERVER_CONFIG) config: ServerConfig,
  ) {
    this.files = new JobFiles(config.paths);
  }

  async execute({ queueId, filter }: DeleteJobsCommand): Promise<DeletedJobs> {
    if (queueId) return { deleted: await this.deleteOne(queueId), kept: [] };
    const deleted: string[] = [];
    for (;;) {
      const chunk = await this.deleteChunk(filter);
      deleted.push(...chunk);
      if (chunk.length < CLEANUP_CHUNK_SIZE) break;
      await yieldToEventLoop();
    }
    const kept = await this.journal.record(async (tx) => ({
      result: await this.jobs.finishedWaitedOn(tx, filter),
      events: [],
    }));
    return { deleted, kept };
  }

  private async deleteOne(queueId: string): Promise<string[]> {
    const deleted = await this.recordFreeingLogs(async (tx) => {
      const job = await this.jobs.get(queueId, tx);
      if (!job) throw new DomainError('JOB_NOT_FOUND', `no job ${queueId}`);
      if (!isTerminal(job.status)) {
        throw new DomainError(
          'JOB_STILL_RUNNING',
          `${queueId} is ${job.status}: ${
            job.status === 'queued'
              ? 'cancel it from the queue'
              : job.status === 'terminating'
                ? 'it is being stopped already; remove it once it has ended'
                : 'kill it first'
          }`,
        );
      }
      // A met dependency stays met only while the record says so: its dependents would fail.
      const waiting = (await this.jobs.dependents(queueId, tx)).filter((j) => j.status === 'queued');
      if (waiting.length) {
        const names = waiting.map(
          (j) => `${j.id} (${j.depends_on.find((d) => d.queue_id === queueId)!.condition})`,
        );
        throw new DomainError(
          'CONFLICT',
          `${queueId} is a dependency of queued job${waiting.length === 1 ? '' : 's'} ${names.join(', ')}: ` +
            'delete it once they have started, or cancel them first',
        );
      }
      await removeJobRows(tx, this.jobs, this.journal, [queueId]);
      return [queueId];
    });
    await this.removeFiles(deleted);
    return deleted;
  }

  /** Up to CLEANUP_CHUNK_SIZE finished jobs, in one transaction; their files after the commit. */
  private async deleteChunk(filter: CleanupFilter): Promise<string[]> {
    const ids = await this.recordFreeingLogs(async (tx) => {
      const found = await this.jobs.removableFinishedIds(CLEANUP_CHUNK_SIZE, tx, filter);
      await removeJobRows(tx, this.jobs, this.journal, found);
      return found;
    });
    await this.removeFiles(ids);
    return ids;
  }

  /**
   * Deletes the records `remove` picks (and checks) in one journaled transaction. When storage refuses
   * it — typically the disk these jobs' logs filled — their logs are removed first (they are what the
   * user asked to delete; nothing else could free the room) and the transaction is tried once more.
   * Refused again: STATE_DIR_FULL saying the logs are gone but the records still there.
   */
  private async recordFreeingLogs(remove: (tx: Tx) => Promise<string[]>): Promise<string[]> {
    let picked: string[] = [];
    const attempt = () =>
      this.journal.record(async (tx) => {
        picked = await remove(tx);
        return { result: picked, events: picked.length ? [new JobsDeletedEvent(picked)] : [] };
      });
    try {
      return await attempt();
    } catch (err) {
      if (!isStorageRefusal(err) || err.code !== 'STATE_DIR_FULL' || picked.length === 0) throw err;
      this.files.removeLogs(picked);
      try {
        return await attempt();
      } catch (again) {
        if (!isStorageRefusal(again)) throw again;
        throw new DomainError(
          again.code,
          `${again.message} (the logs of ${picked.length} job${picked.length === 1 ? '' : 's'} being removed were deleted to make room, ` +
            'not enough: their records stay until there is room to remove them)',
        );
      }
    }
  }

  /** After the commit (secrets included): a crash in between leaves only orphan files, which GC removes. */
  private async removeFiles(ids: string[]): Promise<void> {
    this.files.removeAll(ids);
    await yieldToEventLoop();
  }
}
