import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { Job, JobHeldEvent, JobReleasedEvent, JobRepository } from '@trainyard/jobs';
import { HoldArrayCommand, HoldQueueItemCommand } from './hold-queue-item.command';

/**
 * Sets a queued job's hold in `tx`; the entry to journal, or null when it already was so (a repeat
 * writes nothing). Throws JOB_NOT_QUEUED (409) for a job that is not queued.
 */
async function setHeld(
  tx: Parameters<JobRepository['setQueuedHeld']>[0],
  jobs: JobRepository,
  job: Job,
  held: boolean,
): Promise<JobHeldEvent | JobReleasedEvent | null> {
  if (job.status !== 'queued' || !(await jobs.setQueuedHeld(tx, job.id, held))) {
    throw new DomainError(
      'JOB_NOT_QUEUED',
      `${job.id} is ${job.status}, not queued: only a queued job can be ${held ? 'held' : 'released'}`,
    );
  }
  if (job.held === held) return null;
  const at = new Date().toISOString();
  return held
    ? new JobHeldEvent({ queue_id: job.id, held_at: at })
    : new JobReleasedEvent({ queue_id: job.id, released_at: at });
}

/**
 * A queued job's hold or release, in one transaction with its journal entry. Its submit order (seq)
 * and submitted_at stay, so once released it is back in its old place with its age. The event wakes
 * the dispatcher: a release may start it, a hold may let the jobs behind it start.
 */
@CommandHandler(HoldQueueItemCommand)
export class HoldQueueItemHandler implements ICommandHandler<HoldQueueItemCommand, Job> {
  constructor(
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
  ) {}

  async execute({ queueId, held }: HoldQueueItemCommand): Promise<Job> {
    return this.journal.record(async (tx) => {
      const job = await this.jobs.get(queueId, tx);
      if (!job) throw new DomainError('QUEUE_ITEM_NOT_FOUND', `no queue item ${queueId}`);
      const event = await setHeld(tx, this.jobs, job, held);
      return { result: { ...job, held }, events: event ? [event] : [] };
    });
  }
}

/**
 * Every queued job of an array held or released in one transaction (as Slurm's hold of an array id);
 * the others are left as they are. An array with no queued job left is refused (JOB_NOT_QUEUED, 409)
 * naming it and how its jobs stand: an empty answer would tell the user nothing.
 */
@CommandHandler(HoldArrayCommand)
export class HoldArrayHandler implements ICommandHandler<HoldArrayCommand, string[]> {
  constructor(
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
  ) {}

  async execute({ arrayId, held }: HoldArrayCommand): Promise<string[]> {
    return this.journal.record(async (tx) => {
      const all = await this.jobs.arrayJobs(arrayId, tx);
      if (!all.length) throw new DomainError('ARRAY_NOT_FOUND', `no array ${arrayId}`);
      const queued = all.filter((j) => j.status === 'queued');
      if (!queued.length) {
        const counts = new Map<string, number>();
        for (const job of all) counts.set(job.status, (counts.get(job.status) ?? 0) + 1);
        const stand = [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
        throw new DomainError(
          'JOB_NOT_QUEUED',
          `array ${arrayId} has no queued job left (${stand}): only a queued job can be ${held ? 'held' : 'released'}`,
        );
      }
      const events: Array<JobHeldEvent | JobReleasedEvent> = [];
      for (const job of queued) {
        const event = await setHeld(tx, this.jobs, job, held);
        if (event) events.push(event);
      }
      return { result: events.map((e) => e.queue_id), events };
    });
  }
}
