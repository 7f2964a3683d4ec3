import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import type { WebSocket } from 'ws';
import { DomainError, SERVER_CONFIG, ServerConfig, StreamErrorFrameDto, WsRouter } from '@trainyard/core';
import { JobRepository } from './infrastructure/job.repository';
import type { Job } from './job';
import { isTerminal } from './job-lifecycle';
import { JobEndWatcher } from './job-end-watcher';
import { JobFiles, QUEUE_ID_PATTERN } from './job-files';
import {
  gcOrphanJobFiles,
  parseTtyStreamQuery,
  SECRET_FILE_PATTERN,
  streamTtyToSocket,
  TTY_STREAM_QUERY,
  type TtyGcResult,
} from './tty';

export const LOG_GC_TTL_MS = 7 * 24 * 3600 * 1000;
/** Secrets of deleted jobs go sooner; the age only covers a job submitted while the GC runs. */
export const SECRET_GC_TTL_MS = 10 * 60 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/**
 * The 404 for a job that has no log file: "yet" only while it can still write one (queued or
 * active); an ended one never launched or wrote nothing (a launch failure, a dependency that failed).
 */
export function noOutputError(job: Pick<Job, 'id' | 'status'>): DomainError {
  return new DomainError(
    'NOT_FOUND',
    isTerminal(job.status)
      ? `no output recorded for ${job.id} (the job has ended; none will come)`
      : `no output recorded for ${job.id} yet`,
  );
}

/**
 * Live log WebSocket (`/api/jobs/:queue_id/tty`) and the GC of files left by deleted jobs (at boot
 * and daily): logs, exit and env files, and secret files.
 */
@Injectable()
export class JobLogs implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Jobs');
  readonly files: JobFiles;
  private gcTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly ws: WsRouter,
    private readonly jobs: JobRepository,
    private readonly endWatcher: JobEndWatcher,
  ) {
    this.files = new JobFiles(config.paths);
  }

  onModuleInit(): void {
    this.ws.register(
      '/api/jobs/:queue_id/tty',
      (socket, { params, query }) => this.streamLog(socket, params.queue_id, query),
      TTY_STREAM_QUERY,
    );
  }

  private async streamLog(socket: WebSocket, id: string, query: URLSearchParams): Promise<void> {
    if (!QUEUE_ID_PATTERN.test(id)) return refuse(socket, `no job ${id}`);
    const asked = parseTtyStreamQuery(query);
    if (typeof asked === 'string') return refuse(socket, asked);
    const { offset, follow } = asked;
    // Watch before reading the status, so an end in between is not missed; released as soon as
    // the job turns out to be over already, and whenever the stream stops (client gone included).
    const watch = this.endWatcher.watch(id);
    try {
      const job = await this.jobs.get(id);
      if (!job) return refuse(socket, `no job ${id}`);
      const done = isTerminal(job.status);
      if (done) watch.release();
      await streamTtyToSocket(socket, {
        path: this.files.tty(id),
        follow,
        resumeAt: offset ?? undefined,
        ended: done ? null : watch.ended,
        final: done ? { status: job.status, exit_code: job.exit_code } : undefined,
      });
    } finally {
      watch.release();
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.gc();
    this.gcTimer = setInterval(() => void this.gc(), DAY_MS);
    this.gcTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.gcTimer) clearInterval(this.gcTimer);
  }

  async gc(
    ttlMs = LOG_GC_TTL_MS,
    secretTtlMs = SECRET_GC_TTL_MS,
  ): Promise<TtyGcResult & { secretsRemoved: string[] }> {
    const known = await this.jobs.allIds();
    const { paths } = this.config;
    const result = await gcOrphanJobFiles(paths.jobsDir, known, ttlMs);
    if (result.removed.length) this.logger.log(`removed ${result.removed.length} orphan log file(s)`);
    const secrets = await gcOrphanJobFiles(
      paths.secretsDir,
      known,
      secretTtlMs,
      Date.now(),
      SECRET_FILE_PATTERN,
    );
    if (secrets.removed.length) this.logger.log(`removed ${secrets.removed.length} orphan secret file(s)`);
    return { ...result, secretsRemoved: secrets.removed };
  }
}

/** The error frame, then close 1008 (the request was refused). */
function refuse(socket: WebSocket, message: string): void {
  const frame: StreamErrorFrameDto = { type: 'error', message };
  socket.send(JSON.stringify(frame));
  socket.close(1008);
}
