import { Inject, Injectable } from '@nestjs/common';
import { SERVER_CONFIG, ServerConfig } from '@trainyard/core';
import { agedPriority, readySinceMs } from './aging';
import { settleDependencies } from './dependencies';
import { JobRepository } from './infrastructure/job.repository';
import type { Tx } from '@trainyard/database';
import type { Job } from './job';

/**
 * The effective priority of queued jobs under `--priority-aging`: their priority aged as placement
 * ages it (agedPriority, from readySinceMs and held_ms), what the scheduler places by. One read of
 * the dependencies of the jobs given (a page), none without aging.
 */
@Injectable()
export class EffectivePriorities {
  constructor(
    private readonly jobs: JobRepository,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  /**
   * Of the queued jobs among `jobs`: id → effective priority. Empty without aging. A job waiting for
   * a dependency has not aged (no time waited ready to start); a held one has the age it had when held.
   */
  async of(jobs: readonly Job[], now = Date.now()): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const aging = this.config.priority_aging;
    const queued = jobs.filter((j) => j.status === 'queued');
    if (aging === 0 || queued.length === 0) return out;
    const ready = await queuedReadySince(this.jobs, queued, now);
    for (const job of queued) {
      const readyMs = ready.get(job.id) ?? null;
      if (readyMs === null) {
        out.set(job.id, job.priority);
        continue;
      }
      const until = job.held && job.held_at !== null ? Math.min(now, Date.parse(job.held_at)) : now;
      out.set(job.id, agedPriority(job.priority, readyMs, job.held_ms, until, aging));
    }
    return out;
  }
}

/**
 * Since when each queued job is ready to start, for aging (readySinceMs), as the scheduler reads it;
 * null while a dependency is unmet. One read of the dependencies of them all.
 */
export async function queuedReadySince(
  jobs: JobRepository,
  queued: readonly Job[],
  now: number,
  tx?: Tx,
): Promise<Map<string, number | null>> {
  const withDeps = queued.filter((j) => j.depends_on.length > 0);
  const known = withDeps.length
    ? await jobs.dependencyTargets(
        withDeps.flatMap((j) => j.depends_on.map((d) => d.queue_id)),
        tx,
      )
    : new Map();
  const { readySince } = settleDependencies(withDeps, known, now);
  return new Map(
    queued.map((job) => {
      if (!job.depends_on.length) return [job.id, readySinceMs(job)];
      const met = readySince.get(job.id);
      return [job.id, met === undefined ? null : readySinceMs(job, met)];
    }),
  );
}
