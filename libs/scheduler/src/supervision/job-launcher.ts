import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import {
  PRIVATE_DIR_MODE,
  readStat,
  resolveExecutable,
  SERVER_CONFIG,
  ServerConfig,
  writeFileAtomic,
} from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { Job, JobFiles, JobRepository, JobStartedEvent, JobStartingEvent } from '@trainyard/jobs';
import { JobTypeRegistry } from '@trainyard/queue';
import { LaunchRequest, LauncherClient, LauncherGoneError } from '../launcher/launcher-client';
import { SchedulerMetrics } from '../scheduler.metrics';
import { ActiveJob, ActiveJobs } from './active-jobs';
import { buildJobEnvironment } from './job-environment';
import { JobReaper } from './job-reaper';
import { JobStopper } from './job-stopper';

/** How long a job found in `starting` without a pid may take to show up before it is settled. */
export const LAUNCH_EVIDENCE_GRACE_MS = 10_000;

/**
 * The launch verb: claims a queued job (queued → starting, GPUs reserved), asks the launcher to
 * start it, and records its monitor's pid (starting → running). Any failure to start fails that job
 * alone, with its reason.
 */
@Injectable()
export class JobLauncher implements OnModuleDestroy {
  private readonly logger = new Logger('Jobs');
  private readonly launcher: LauncherClient;

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly active: ActiveJobs,
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
    private readonly files: JobFiles,
    private readonly registry: JobTypeRegistry,
    private readonly metrics: SchedulerMetrics,
    private readonly stopper: JobStopper,
    private readonly reaper: JobReaper,
  ) {
    const python = resolveExecutable('python3', config.job_env.PATH) ?? 'python3';
    this.launcher = new LauncherClient(python, config.job_env, {
      mainExited: (id, status) => this.reaper.onMainExited(id, status),
      exited: (id, monitorPid, status) => this.reaper.onExited(id, monitorPid, status),
      launcherDied: () => this.onLauncherDied(),
    });
  }

  onModuleDestroy(): void {
    this.launcher.close();
  }

  /** queued → starting (CAS) → launcher → running. Returns false if the item was no longer queued. */
  async launch(job: Job, gpuIndices: number[]): Promise<boolean> {
    const startedAt = new Date().toISOString();
    const claimed = await this.journal.record(async (tx) => {
      const ok = await this.jobs.moveTo(tx, job.id, 'starting', {
        gpu_indices: gpuIndices,
        started_at: startedAt,
      });
      return { result: ok, events: ok ? [new JobStartingEvent(job.id, gpuIndices)] : [] };
    });
    if (!claimed) return false;
    this.metrics.launches.inc();
    this.metrics.submitToStart.observe((Date.parse(startedAt) - Date.parse(job.submitted_at)) / 1000);
    const entry = this.active.add({
      id: job.id,
      gpuIndices,
      graceMs: (job.kill_grace_s ?? this.config.kill_grace_seconds) * 1000,
    });
    let request: LaunchRequest;
    try {
      request = this.prepare(job, gpuIndices);
    } catch (err) {
      await this.failLaunch(entry, (err as Error).message);
      return true;
    }
    try {
      const { monitorPid } = await this.launcher.launch(request, (launched) => {
        entry.monitorPid = launched.monitorPid;
        entry.monitorStartTime = readStat(launched.monitorPid)?.startTime ?? null;
      });
      await this.journal.record(async (tx) => {
        // A very short job may already have ended: the CAS then leaves its terminal state alone.
        const ok = await this.jobs.moveTo(tx, job.id, 'running', {
          pid: monitorPid,
          proc_start_time: entry.monitorStartTime,
        });
        if (!ok)
          await this.jobs.updateActive(tx, job.id, {
            pid: monitorPid,
            proc_start_time: entry.monitorStartTime,
          });
        return { result: undefined, events: ok ? [new JobStartedEvent(job.id, monitorPid)] : [] };
      });
      this.logger.log(
        `started ${job.id} (${job.job_type}) pid ${monitorPid}${gpuIndices.length ? ` on GPU ${gpuIndices.join(',')}` : ''}`,
      );
      if (entry.request)
        await this.stopper.signal(entry, entry.request === 'user_kill' ? 'SIGKILL' : 'SIGTERM');
    } catch (err) {
      if (err instanceof LauncherGoneError) {
        // It may or may not have started: look for it by its tag, never settle without evidence.
        entry.watch = 'poll';
        entry.noEvidenceUntil = Date.now() + LAUNCH_EVIDENCE_GRACE_MS;
        this.reaper.startPolling();
      } else {
        await this.failLaunch(entry, `launch failed: ${(err as Error).message}`);
      }
    }
    return true;
  }

  /** The job's argv, environment and files, ready for the launcher; throws with a reason a user can act on. */
  private prepare(job: Job, gpuIndices: number[]): LaunchRequest {
    const def = this.registry.get(job.job_type);
    if (!def) throw new Error(`launch failed: job type ${job.job_type} is no longer defined`);
    if (!existsSync(job.cwd)) throw new Error(`launch failed: working directory ${job.cwd} does not exist`);
    const spec = def.build({
      queueId: job.id,
      params: job.job_params,
      gpuIndices,
      requestedGpus: job.requested_gpus,
      secretsDir: this.config.paths.secretsDir,
    });
    for (const secret of spec.secretFiles) writeFileAtomic(secret.path, secret.content, 0o600);
    const controlDir = this.files.controlDir(job.id);
    mkdirSync(controlDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    rmSync(this.files.exitStatus(job.id), { force: true });
    return {
      id: job.id,
      argv: spec.argv,
      cwd: job.cwd,
      env: buildJobEnvironment({
        jobId: job.id,
        serverEnv: this.config.job_env,
        typeEnv: spec.env,
        userEnv: job.env,
        controlDir,
        gpuIndices,
        gpulessHidesGpus: def.gpuless_cuda_visible_empty,
      }),
      log: this.files.tty(job.id),
      exit: this.files.exitStatus(job.id),
    };
  }

  private async failLaunch(entry: ActiveJob, reason: string): Promise<void> {
    this.metrics.launchFailures.inc();
    this.logger.warn(`${entry.id}: ${reason}`);
    await this.reaper.launchFailed(entry, reason);
  }

  /** Jobs it was watching keep running; watch them by polling from now on. */
  private onLauncherDied(): void {
    for (const entry of this.active.all())
      if (entry.watch === 'launcher' && entry.monitorPid > 0) entry.watch = 'poll';
    this.reaper.startPolling();
  }
}
