import { Injectable, Logger } from '@nestjs/common';
import type { Job } from './job';

/** What a lib adds to a job at launch: environment variables and per-job secret files. */
export interface JobLaunchContribution {
  env: Record<string, string>;
  /** Written 0600 by the launcher as `<secrets dir>/<queue_id>.<name>` (removed with the job's files). */
  secretFiles: Array<{ path: string; content: string }>;
}

export type JobLaunchContributor = (
  job: Job,
  gpuIndices: readonly number[],
) => Promise<JobLaunchContribution>;

/**
 * Where libs that the scheduler does not know (run tracking) add to a job's launch without a
 * dependency either way: they register a contributor; the launcher asks them all before it builds
 * the job's environment. A contributor that fails is logged and skipped: it never stops the job.
 */
@Injectable()
export class JobLaunchHooks {
  private readonly logger = new Logger('Jobs');
  private readonly contributors: Array<{ name: string; contribute: JobLaunchContributor }> = [];

  register(name: string, contribute: JobLaunchContributor): void {
    this.contributors.push({ name, contribute });
  }

  async contribute(job: Job, gpuIndices: readonly number[]): Promise<JobLaunchContribution> {
    const out: JobLaunchContribution = { env: {}, secretFiles: [] };
    for (const { name, contribute } of this.contributors) {
      try {
        const part = await contribute(job, gpuIndices);
        Object.assign(out.env, part.env);
        out.secretFiles.push(...part.secretFiles);
      } catch (err) {
        this.logger.warn(`${job.id}: ${name} could not prepare the launch: ${(err as Error).message}`);
      }
    }
    return out;
  }
}
