import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import {
  heldChanges,
  heldWhileReadyMs,
  Job,
  JobHeldEvent,
  JobReleasedEvent,
  JobRepository,
  queuedReadySince,
  releasedChanges,
} from '@trainyard/jobs';
import { arrayStanding } from '../job-arrays';
import { HoldArrayCommand, HoldQueueItemCommand } from './hold-queue-item.command';

/** A journal transaction, as the job repository takes it. */
type Tx = Parameters<JobRepository['changeHold']>[0];

/** Since when `job` (queued) is ready to start, for aging, as the scheduler reads it; null while a dependency is unmet. */
async function readySince(tx: Tx, jobs: JobRepository, job: Job, now: number): Promise<number | null> {
  return (await queuedReadySince(jobs, [job], now, tx)).get(job.id) ?? null;
}

/**
 * Sets a queued job's hold in `tx`; the entry to journal, or null when it already was so (a repeat
 * writes nothing). A release adds the time held while the job was otherwise ready to start to its
 * held_ms, which priority aging leaves out. Throws JOB_NOT_QUEUED (409) for a job that is not queued.
 */
async function setHeld(
  tx: Tx,
  jobs: JobRepository,
  job: Job,
  held: boolean,
): Promise<JobHeldEvent | JobReleasedEvent | null> {
  const notQueued = () =>
    new DomainError(
      'JOB_NOT_QUEUED',
      `${job.id} is ${job.status}, not queued: only a queued job can be ${held ? 'held' : 'released'}`,
    );
  if (job.status !== 'queued') throw notQueued();
  if (job.held === held) return null;
  const now = Date.now();
  const at = new Date(now).toISOString();
  let event: JobHeldEvent | JobReleasedEvent;
  if (held) event = new JobHeldEvent({ queue_id: job.id, held_at: at });
  else {
    // A hold from before its time was recorded (no held_at) adds nothing.
    const added =
      job.held_at === null
        ? 0
        : heldWhileReadyMs(Date.parse(job.held_at), now, await readySince(tx, jobs, job, now));
    event = new JobReleasedEvent({ queue_id: job.id, released_at: at, held_ms: job.held_ms + added });
  }
  const changes = event instanceof JobHeldEvent ? heldChanges(event) : releasedChanges(event);
  if (!(await jobs.changeHold(tx, job.id, changes))) throw notQueued();
  return event;
}

/**
 * A queued job's hold or release, in one transaction with its journal entry. Its submit order (seq)
 * and submitted_at stay, so once released it is back in its old place with its age (less the time
 * it was held). The event wakes the dispatcher: a release may start it, a hold may let the jobs
 * behind it start.
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
      return { result: (await this.jobs.get(queueId, tx)) ?? { ...job, held }, events: event ? [event] : [] };
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
        throw new DomainError(
          'JOB_NOT_QUEUED',
          `array ${arrayId} has no queued job left (${arrayStanding(all)}): only a queued job can be ${held ? 'held' : 'released'}`,
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
