import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { SERVER_CONFIG, ServerConfig, WsRouter } from '@trainyard/core';
import { JobRepository } from './infrastructure/job.repository';
import { isTerminal } from './job-status';
import { JobEndWatcher } from './job-end-watcher';
import { JobFiles, QUEUE_ID_PATTERN } from './job-files';
import { gcOrphanJobFiles, SECRET_FILE_PATTERN, streamTtyToSocket } from './tty';

export const LOG_GC_TTL_MS = 7 * 24 * 3600 * 1000;
/** Secrets of deleted jobs go sooner; the age only covers a job submitted while the GC runs. */
export const SECRET_GC_TTL_MS = 10 * 60 * 1000;
const DAY_MS = 24 * 3600 * 1000;

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
    this.ws.register('/api/jobs/:queue_id/tty', async (socket, { params, query }) => {
      const id = params.queue_id;
      const job = QUEUE_ID_PATTERN.test(id) ? await this.jobs.get(id) : null;
      if (!job) {
        socket.send(JSON.stringify({ type: 'error', message: `no job ${id}` }));
        socket.close(1008);
        return;
      }
      const follow = query.get('follow') !== 'false';
      const offset = query.get('offset');
      if (offset !== null && !/^\d{1,15}$/.test(offset)) {
        socket.send(JSON.stringify({ type: 'error', message: 'offset must be a non-negative integer' }));
        socket.close(1008);
        return;
      }
      // Subscribe before re-reading the status, so an end in between is not missed.
      const ended = this.endWatcher.ended(id);
      const current = (await this.jobs.get(id)) ?? job;
      const done = isTerminal(current.status);
      await streamTtyToSocket(socket, {
        path: this.files.tty(id),
        follow,
        resumeAt: offset === null ? undefined : Number(offset),
        ended: done ? null : ended,
        final: done ? { status: current.status, exit_code: current.exit_code } : undefined,
      });
    });
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
  ): Promise<{ removed: string[]; kept: number; secretsRemoved: string[] }> {
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
