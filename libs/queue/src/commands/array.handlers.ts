import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Clock, DomainError, newArrayId, newQueueId } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import {
  isActive,
  Job,
  JobCancelledEvent,
  JobHooks,
  JobQueuedEvent,
  JobRepository,
  queuedJob,
  QueueWaitTimer,
  TerminateJobCommand,
} from '@trainyard/jobs';
import { CancelArrayCommand, RetryArrayCommand } from './array.commands';

async function mustHaveJobs(jobs: Job[], arrayId: string): Promise<Job[]> {
  if (!jobs.length) throw new DomainError('NOT_FOUND', `no array ${arrayId}`);
  return jobs;
}

/** Queued jobs are removed in one transaction (as DELETE /api/queue/{id} does); active ones are stopped. */
@CommandHandler(CancelArrayCommand)
export class CancelArrayHandler implements ICommandHandler<CancelArrayCommand> {
  constructor(
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
    private readonly commandBus: CommandBus,
    private readonly hooks: JobHooks,
  ) {}

  async execute({ arrayId }: CancelArrayCommand): Promise<{ removed: string[]; aborting: string[] }> {
    const { removed, aborting } = await this.journal.record(async (tx) => {
      const all = await mustHaveJobs(await this.jobs.arrayJobs(arrayId, tx), arrayId);
      const queued = all.filter((j) => j.status === 'queued').map((j) => j.id);
      for (let i = 0; i < queued.length; i += 500) await this.jobs.deleteMany(tx, queued.slice(i, i + 500));
      const result = { removed: queued, aborting: all.filter((j) => isActive(j.status)).map((j) => j.id) };
      const endedAt = new Date().toISOString();
      const ended = await this.hooks.ended(
        tx,
        queued.map((id) => ({ queue_id: id, status: 'aborted' as const, ended_at: endedAt })),
      );
      return { result, events: [...queued.map((id) => new JobCancelledEvent(id)), ...ended] };
    });
    for (const id of aborting) await this.commandBus.execute(new TerminateJobCommand(id, 'user_abort'));
    return { removed, aborting };
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
        throw new DomainError('CONFLICT', `array ${arrayId} has no failed or aborted jobs to retry`);
      const retried = await this.jobs.retriesOf(
        ended.map((j) => j.id),
        tx,
      );
      const failed = ended.filter((j) => !retried.has(j.id));
      if (!failed.length) {
        const into = [...new Set([...retried.values()].map((r) => r.array_id))].filter(Boolean).join(', ');
        throw new DomainError(
          'CONFLICT',
          `array ${arrayId}'s failed and aborted jobs were retried already${into ? ` (as ${into}); retry that array instead` : ''}`,
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
