import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IEvent } from '@nestjs/cqrs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { newRunId, SERVER_CONFIG, type ServerConfig } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { Tx } from '@trainyard/database';
import { Job, EndedJob, JobHooks, JobLaunchPart, PROJECT_ENV } from '@trainyard/jobs';
import { RunRepository } from './infrastructure/run.repository';
import { mintRunToken, RUN_TOKEN_GRACE_MS } from './run-tokens';
import { RunsService } from './runs.service';

/** The environment a job's trackers read (clients/python/trainyard_tracking.py). */
export const RUN_ID_ENV = 'TRAINYARD_RUN_ID';
export const SERVER_URL_ENV = 'TRAINYARD_URL';
export const RUN_TOKEN_FILE_ENV = 'TRAINYARD_RUN_TOKEN_FILE';
/** The token's secret file: `<secrets dir>/<queue_id>.run-token` (0600, removed with the job). */
export const RUN_TOKEN_FILE_SUFFIX = 'run-token';

/**
 * A run per job: at launch (before the process exists) the job gets its run — created on its first
 * launch, reused when it is requeued — and a fresh ingest token in a 0600 secret file; when the job
 * ends (also a requeued one cancelled before its next attempt), a still-running run takes the job's
 * outcome and the token expires an hour later. Both happen in the job's own transaction.
 */
@Injectable()
export class JobRuns implements OnModuleInit {
  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly hooks: JobHooks,
    private readonly runs: RunsService,
    private readonly repository: RunRepository,
    private readonly journal: Journal,
    private readonly adapter: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    this.hooks.onLaunch('run tracking', (tx, job) => this.prepare(tx, job));
    this.hooks.onEnd('run tracking', (tx, ends) => this.close(tx, ends));
  }

  /** In the launch's claim transaction: the job's run (created, or reused on a requeue) and a fresh token. */
  private async prepare(tx: Tx, job: Job): Promise<JobLaunchPart> {
    const existing = await this.repository.findByJob(job.id, tx);
    const runId = existing?.run_id ?? newRunId();
    const { token, hash } = mintRunToken(runId);
    let events: JobLaunchPart['events'];
    if (existing) {
      await this.repository.setToken(tx, runId, hash, null);
      events = await this.runs.changeStatus(tx, runId, 'running');
    } else {
      const fields = { name: job.name ?? job.id, project: job.env[PROJECT_ENV] ?? null, job_id: job.id };
      events = (await this.runs.createIn(tx, fields, hash, runId)).events;
    }
    const tokenFile = join(this.config.paths.secretsDir, `${job.id}.${RUN_TOKEN_FILE_SUFFIX}`);
    return {
      env: { [RUN_ID_ENV]: runId, [SERVER_URL_ENV]: this.serverUrl(), [RUN_TOKEN_FILE_ENV]: tokenFile },
      secretFiles: [{ path: tokenFile, content: `${token}\n` }],
      events,
    };
  }

  /** In the transaction that records the jobs' ends: each one's run takes its outcome unless a client already closed it; its token winds down. */
  private async close(tx: Tx, ends: readonly EndedJob[]): Promise<IEvent[]> {
    const runs = await this.repository.newestByJobs(
      ends.map((e) => e.queue_id),
      tx,
    );
    const events: IEvent[] = [];
    for (const end of ends) {
      const run = runs.get(end.queue_id);
      if (!run) continue;
      const expires = new Date(Date.parse(end.ended_at) + RUN_TOKEN_GRACE_MS).toISOString();
      await this.repository.setToken(tx, run.run_id, run.token_hash, expires);
      // A job stopped on request did not fail: its run says so, as the job does.
      const outcome = end.status === 'done' ? 'finished' : end.status === 'aborted' ? 'aborted' : 'failed';
      if (run.status === 'running') events.push(...(await this.runs.changeStatus(tx, run.run_id, outcome)));
    }
    return events;
  }

  /** How a job reaches this server: loopback for a wildcard or loopback bind, else the bind address. */
  private serverUrl(): string {
    const server = this.adapter.httpAdapter?.getHttpServer() as Server | undefined;
    const address = server?.address();
    const port = typeof address === 'object' && address ? address.port : this.config.port;
    const host = ['0.0.0.0', '::', 'localhost'].includes(this.config.host) ? '127.0.0.1' : this.config.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }
}
