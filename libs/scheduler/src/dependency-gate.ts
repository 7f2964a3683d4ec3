import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@trainyard/core';
import type { Tx } from '@trainyard/database';
import { Journal } from '@trainyard/journal';
import {
  dependencyFailedChanges,
  JobDependencyFailedEvent,
  JobHooks,
  JobRepository,
  QueuedForPlacement,
  settleDependencies,
} from '@trainyard/jobs';

interface Settled {
  waiting: Map<string, string>;
  failed: Map<string, string>;
  readySince: Map<string, number>;
}

/**
 * The dependency step of a scheduling pass: which queued jobs still wait for a dependency (and the
 * reason), and which can never start — those end `aborted / dependency_failed` here, down a whole
 * chain in one pass, so nobody waits forever for a job that failed.
 */
@Injectable()
export class DependencyGate {
  private readonly logger = new Logger('Scheduler');

  constructor(
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
    private readonly clock: Clock,
    private readonly hooks: JobHooks,
  ) {}

  /**
   * `waiting`: queue_id → pending reason; `failed`: queue_id → error (already recorded);
   * `readySince`: queue_id → since when its dependencies are all met (epoch ms), for those with any.
   */
  async settle(queued: readonly QueuedForPlacement[]): Promise<Settled> {
    const settled = await this.evaluate(queued);
    if (settled.failed.size) await this.recordFailures(settled.failed);
    return settled;
  }

  /** What {@link settle} answers, recording nothing (read in `tx` when given). */
  async evaluate(queued: readonly QueuedForPlacement[], tx?: Tx): Promise<Settled> {
    const withDeps = queued.filter((j) => j.depends_on.length > 0);
    if (!withDeps.length) return { waiting: new Map(), failed: new Map(), readySince: new Map() };
    const queuedIds = new Set(queued.map((j) => j.id));
    const others = withDeps
      .flatMap((j) => j.depends_on.map((d) => d.queue_id))
      .filter((id) => !queuedIds.has(id));
    const known = await this.jobs.dependencyTargets(others, tx);
    // Every queued job, not only those with dependencies: a dependency may itself be queued (waiting
    // for GPUs, or requeued after a preemption) and must be seen as `queued`, not as gone.
    return settleDependencies(queued, known, this.clock.now());
  }

  private async recordFailures(failed: ReadonlyMap<string, string>): Promise<void> {
    const endedAt = new Date(this.clock.now()).toISOString();
    await this.journal.record(async (tx) => {
      const events: JobDependencyFailedEvent[] = [];
      for (const [id, error] of failed) {
        const event = new JobDependencyFailedEvent({ queue_id: id, error, ended_at: endedAt });
        // Compare-and-set from queued: a job cancelled meanwhile is left alone.
        if (await this.jobs.failQueued(tx, id, dependencyFailedChanges(event))) events.push(event);
      }
      const ends = events.map((e) => ({
        queue_id: e.queue_id,
        status: 'aborted' as const,
        ended_at: endedAt,
      }));
      return { result: undefined, events: [...events, ...(await this.hooks.ended(tx, ends))] };
    });
    for (const [id, error] of failed) this.logger.log(`${id} aborted (dependency_failed): ${error}`);
  }
}
