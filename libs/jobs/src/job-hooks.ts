import { Injectable, Logger } from '@nestjs/common';
import type { IEvent } from '@nestjs/cqrs';
import { type Tx, underSavepoint } from '@trainyard/database';
import type { Job } from './job';
import type { TerminalStatus } from './job-lifecycle';

/** What a lib adds to a job at launch: environment variables and per-job secret files. */
export interface JobLaunchContribution {
  env: Record<string, string>;
  /** Written 0600 by the launcher as `<secrets dir>/<queue_id>.<name>` (removed with the job's files). */
  secretFiles: Array<{ path: string; content: string }>;
}

/** A contribution and the journaled events of the rows it wrote in the launch's transaction. */
export interface JobLaunchPart extends JobLaunchContribution {
  /** Journaled events (the journal checks their types when it commits). */
  events: IEvent[];
}

/**
 * Runs inside the transaction that claims the job (queued → starting): its rows commit with the
 * claim, in the same group commit, or not at all.
 */
export type JobLaunchContributor = (
  tx: Tx,
  job: Job,
  gpuIndices: readonly number[],
) => Promise<JobLaunchPart>;

/** A job that reached a terminal state (ended after running, or never started: cancelled, dependency failed). */
export interface EndedJob {
  readonly queue_id: string;
  readonly status: TerminalStatus;
  /** ISO 8601. */
  readonly ended_at: string;
}

/**
 * Runs inside the transaction that records the jobs' ends; returns the journaled events of the rows it
 * wrote. Also called for queued jobs that end without running (most have nothing of the lib's).
 */
export type JobEndContributor = (tx: Tx, ends: readonly EndedJob[]) => Promise<IEvent[]>;

/**
 * Where libs that the scheduler and the queue do not know (run tracking) take part in a job's launch
 * and end without a dependency either way: they register contributors, which run in the transaction
 * that claims the job, or that records its end, so their rows commit with it or not at all. A
 * contributor that fails is logged and skipped (its writes rolled back to a savepoint): it never stops
 * a launch or an end.
 */
@Injectable()
export class JobHooks {
  private readonly logger = new Logger('Jobs');
  private readonly launch: Array<{ name: string; run: JobLaunchContributor }> = [];
  private readonly end: Array<{ name: string; run: JobEndContributor }> = [];

  onLaunch(name: string, run: JobLaunchContributor): void {
    this.launch.push({ name, run });
  }

  onEnd(name: string, run: JobEndContributor): void {
    this.end.push({ name, run });
  }

  /** In the claim's transaction: every launch contributor's environment, secret files and events. */
  async contribute(tx: Tx, job: Job, gpuIndices: readonly number[]): Promise<JobLaunchPart> {
    const out: JobLaunchPart = { env: {}, secretFiles: [], events: [] };
    for (const { name, run } of this.launch) {
      const part = await underSavepoint(
        tx,
        () => run(tx, job, gpuIndices),
        (err) => this.logger.warn(`${job.id}: ${name} could not prepare the launch: ${err.message}`),
      );
      if (!part) continue;
      Object.assign(out.env, part.env);
      out.secretFiles.push(...part.secretFiles);
      out.events.push(...part.events);
    }
    return out;
  }

  /** In the transaction that records `ends`: every end contributor's events. */
  async ended(tx: Tx, ends: readonly EndedJob[]): Promise<IEvent[]> {
    const events: IEvent[] = [];
    if (!ends.length) return events;
    for (const { name, run } of this.end) {
      const part = await underSavepoint(
        tx,
        () => run(tx, ends),
        (err) =>
          this.logger.warn(
            `${ends.map((e) => e.queue_id).join(', ')}: ${name} could not record the end: ${err.message}`,
          ),
      );
      if (part) events.push(...part);
    }
    return events;
  }
}
