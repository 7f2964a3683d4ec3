import { Injectable, Logger } from '@nestjs/common';
import type { IEvent } from '@nestjs/cqrs';
import type { Tx } from '@trainyard/database';
import type { Job } from './job';

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

/**
 * Where libs that the scheduler does not know (run tracking) add to a job's launch without a
 * dependency either way: they register a contributor; the launcher asks them all in the claim's
 * transaction, before it builds the job's environment. A contributor that fails is logged and
 * skipped (its writes rolled back to a savepoint): it never stops the job.
 */
@Injectable()
export class JobLaunchHooks {
  private readonly logger = new Logger('Jobs');
  private readonly contributors: Array<{ name: string; contribute: JobLaunchContributor }> = [];

  register(name: string, contribute: JobLaunchContributor): void {
    this.contributors.push({ name, contribute });
  }

  async contribute(tx: Tx, job: Job, gpuIndices: readonly number[]): Promise<JobLaunchPart> {
    const out: JobLaunchPart = { env: {}, secretFiles: [], events: [] };
    for (const { name, contribute } of this.contributors) {
      await tx.query('SAVEPOINT launch_hook');
      try {
        const part = await contribute(tx, job, gpuIndices);
        await tx.query('RELEASE launch_hook');
        Object.assign(out.env, part.env);
        out.secretFiles.push(...part.secretFiles);
        out.events.push(...part.events);
      } catch (err) {
        await tx.query('ROLLBACK TO launch_hook');
        await tx.query('RELEASE launch_hook');
        this.logger.warn(`${job.id}: ${name} could not prepare the launch: ${(err as Error).message}`);
      }
    }
    return out;
  }
}
