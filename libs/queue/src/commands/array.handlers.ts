import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { allAtOnce, Clock, DomainError, newArrayId, newQueueId } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import {
  isActive,
  Job,
  JobFiles,
  JobHooks,
  JobQueuedEvent,
  JobRepository,
  queuedJob,
  QueueWaitTimer,
  TerminateJobCommand,
} from '@trainyard/jobs';
import { CancelArrayCommand, CancelArrayResult, RetryArrayCommand } from './array.commands';
import { arrayStanding } from '../job-arrays';
import { cancelQueued } from './cancel-queued';

async function mustHaveJobs(jobs: Job[], arrayId: string): Promise<Job[]> {
  if (!jobs.length) throw new DomainError('ARRAY_NOT_FOUND', `no array ${arrayId}`);
  return jobs;
}

/**
 * Queued jobs are cancelled in one transaction as DELETE /api/queue/{id} does (removed, or ended
 * `aborted` when queued again after running); active ones are stopped.
 */
@CommandHandler(CancelArrayCommand)
export class CancelArrayHandler implements ICommandHandler<CancelArrayCommand> {
  constructor(
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
    private readonly commandBus: CommandBus,
    private readonly hooks: JobHooks,
    private readonly files: JobFiles,
  ) {}

  async execute({ arrayId }: CancelArrayCommand): Promise<CancelArrayResult> {
    const result = await this.journal.record(async (tx) => {
      const all = await mustHaveJobs(await this.jobs.arrayJobs(arrayId, tx), arrayId);
      const queued = all.filter((j) => j.status === 'queued');
      // Nothing left to cancel is no success, as for one job that already ended.
      if (!queued.length && !all.some((j) => isActive(j.status)))
        throw new DomainError(
          'JOB_NOT_RUNNING',
          `array ${arrayId} already ended (${arrayStanding(all)}): nothing to cancel`,
        );
      const { removed, aborted, events } = await cancelQueued(
        tx,
        this.jobs,
        this.journal,
        this.hooks,
        queued,
      );
      const aborting = all.filter((j) => isActive(j.status)).map((j) => j.id);
      return { result: { removed, aborted, aborting }, events };
    });
    this.files.removeSpent(result.aborted);
    // All at once, as scancel signals an array's tasks: one by one, each stop's 2 s wait for its
    // processes kept the next job (and its GPUs) running ~2 s longer.
    await allAtOnce(result.aborting, (id) =>
      this.commandBus.execute(new TerminateJobCommand(id, 'user_abort')),
    );
    return result;
  }
}

/**
 * Retry = new jobs, never a terminal job back to queued (the lifecycle never leaves a terminal state):
 * a new array holding a copy of each failed or aborted job, with its index (TRAINYARD_ARRAY_INDEX),
 * parameters, name and cap; without dependencies (they were met, or their failure is what is retried).
 * Each copy names the job it retries (`retry_of`), and a job is retried once: a second retry of the
 * same array (a double click, a script run twice) copies only failures not yet retried, else 409.
 */
@CommandHandler(RetryArrayCommand)
export class RetryArrayHandler implements ICommandHandler<RetryArrayCommand> {
  constructor(
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
    private readonly clock: Clock,
    private readonly queueWait: QueueWaitTimer,
  ) {}

  async execute({ arrayId }: RetryArrayCommand): Promise<string> {
    return this.journal.record(async (tx) => {
      const all = await mustHaveJobs(await this.jobs.arrayJobs(arrayId, tx), arrayId);
      const ended = all.filter((j) => j.status === 'failed' || j.status === 'aborted');
      if (!ended.length)
        throw new DomainError('NOTHING_TO_RETRY', `array ${arrayId} has no failed or aborted jobs to retry`);
      const retried = await this.jobs.retriesOf(
        ended.map((j) => j.id),
        tx,
      );
      const failed = ended.filter((j) => !retried.has(j.id));
      if (!failed.length) {
        const into = [...new Set([...retried.values()].map((r) => r.array_id))].filter((id): id is string =>
          Boolean(id),
        );
        // The retries' arrays as a fact too: a script retries those instead, without reading prose.
        throw new DomainError(
          'ALREADY_RETRIED',
          `array ${arrayId}'s failed and aborted jobs were retried already${into.length ? ` (as ${into.join(', ')}); retry that array instead` : ''}`,
          { retried_as: into },
        );
      }
      const now = this.clock.now();
      const newId = newArrayId(now);
      const copies = failed.map((j) =>
        queuedJob({
          id: newQueueId(now),
          job_type: j.job_type,
          name: j.name,
          priority: j.priority,
          requested_gpus: j.requested_gpus,
          job_params: j.job_params,
          cwd: j.cwd,
          env: j.env,
          submitted_at: new Date(now).toISOString(),
          kill_grace_s: j.kill_grace_s,
          time_limit_s: j.time_limit_s,
          log_cap_bytes: j.log_cap_bytes,
          preemptible: j.preemptible,
          gpu_profile: j.gpu_profile,
          idempotency_key: null,
          depends_on: [],
          array_id: newId,
          array_index: j.array_index,
          array_max_running: j.array_max_running,
          retry_of: j.id,
        }),
      );
      for (const job of copies) {
        await this.jobs.insert(tx, job);
        this.queueWait.submitted(job.id);
      }
      return { result: newId, events: copies.map((job) => new JobQueuedEvent(job)) };
    });
  }
}
