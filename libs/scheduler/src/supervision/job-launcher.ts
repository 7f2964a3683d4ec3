import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { IEvent } from '@nestjs/cqrs';
import { type Tx, underSavepoint } from '@trainyard/database';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readStat, saidWithPath, SERVER_CONFIG, ServerConfig, StateDirectory } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import {
  Job,
  JobFiles,
  JobLaunchContribution,
  JobHooks,
  JobRepository,
  JobStartingEvent,
  killsAtOnce,
  QueueWaitTimer,
  TRAINER_ENDPOINT_FILE,
} from '@trainyard/jobs';
import { JobTypeRegistry } from '@trainyard/queue';
import { LaunchRequest, LauncherClient, LauncherGoneError } from '../launcher/launcher-client';
import { SchedulerMetrics } from '../scheduler.metrics';
import { ActiveJob, ActiveJobs, deadlineOf } from './active-jobs';
import { buildJobEnvironment } from './job-environment';
import { JobProcesses } from './job-processes';
import { JobReaper } from './job-reaper';
import { JobStopper } from './job-stopper';
import { LaunchFiles } from './launch-files';

/** A job claimed in an open transaction (see {@link JobLauncher.claim}). */
export interface ClaimedLaunch {
  /** The job as claimed: `starting`, its GPUs and `started_at` set. */
  readonly job: Job;
  readonly entry: ActiveJob;
  readonly extra: JobLaunchContribution;
  /** The claim's journaled events, to commit in its transaction. */
  readonly events: IEvent[];
}

/** A placement's decision to start a queued job on these GPUs (and MIG devices). */
export interface PlacedLaunch {
  readonly queue_id: string;
  readonly gpu_indices: number[];
  readonly mig_devices?: string[];
}

/** How long a job found in `starting` without a pid may take to show up before it is settled. */
export const LAUNCH_EVIDENCE_GRACE_MS = 10_000;

/**
 * The launch verb: claims a queued job (queued → starting, GPUs reserved), asks the launcher to
 * start it, and records its monitor's pid (starting → running). A failure to start fails that job
 * alone, with its reason — unless the state directory was the cause (full, or a directory of it
 * removed): that is no fault of the job's, which goes back to the queue in its place.
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
    private readonly queueWait: QueueWaitTimer,
    private readonly stopper: JobStopper,
    private readonly reaper: JobReaper,
    private readonly hooks: JobHooks,
    private readonly processes: JobProcesses,
    private readonly launchFiles: LaunchFiles,
    private readonly stateDir: StateDirectory,
  ) {
    // Resolved once, on the server's PATH: nothing a job sets changes what launches it.
    // It and the job monitors use no GPU: without CUDA_VISIBLE_DEVICES (each job gets its own), a
    // kill of "every process on GPU n" never takes them for GPU processes.
    const { CUDA_VISIBLE_DEVICES: _gpus, ...launcherEnv } = config.job_env;
    this.launcher = new LauncherClient(
      launcherEnv,
      {
        mainExited: (id, status, detail) => this.reaper.onMainExited(id, status, detail),
        outputLost: (id, bytes, error) => this.reaper.onOutputLost(id, bytes, error),
        exited: (id, monitorPid, status) => this.reaper.onExited(id, monitorPid, status),
        launcherDied: () => this.onLauncherDied(),
      },
      { cgroupParent: processes.cgroupParent },
    );
  }

  onModuleDestroy(): void {
    this.launcher.close();
  }

  /**
   * queued → starting (CAS) → launcher → running, for each of a placement's launches: claimed in one
   * transaction (a job no longer queued is skipped; one whose claim fails is logged and left queued),
   * then their launch requests go to the launcher together. Resolves once each has started or failed.
   */
  async launchAll(launches: ReadonlyArray<PlacedLaunch>): Promise<void> {
    const claims = await this.journal.record(async (tx) => {
      const claimed: ClaimedLaunch[] = [];
      for (const { queue_id: id, gpu_indices: gpus, mig_devices: migs } of launches) {
        const claim = await underSavepoint(
          tx,
          async () => {
            const job = await this.jobs.get(id, tx);
            return job && this.claim(tx, job, gpus, migs ?? []);
          },
          (err) => this.logger.error(`${id}: could not be claimed, it stays queued: ${err.message}`),
        );
        if (claim) claimed.push(claim);
      }
      return { result: claimed, events: claimed.flatMap((c) => c.events) };
    });
    let started: Array<Promise<void>> = [];
    this.launcher.batch(() => (started = claims.map((claim) => this.start(claim))));
    await Promise.all(started);
  }

  /**
   * In `tx`: queued → starting (CAS; null when the job is no longer queued), with the rows the launch
   * hooks add (a tracking run). Its GPUs are reserved at once, so a later claim in the same group
   * commit cannot take them, and let go again if `tx` does not commit. Call {@link start} once it has.
   */
  async claim(
    tx: Tx,
    job: Job,
    gpuIndices: number[],
    migDevices: string[] = [],
  ): Promise<ClaimedLaunch | null> {
    const startedAt = new Date().toISOString();
    const changes = {
      gpu_indices: gpuIndices,
      // The MIG devices are stored with the job: a restart re-reserves them from here (re-attach).
      mig_devices: migDevices,
      started_at: startedAt,
      // A requeued (preempted) job's previous attempt is not this one's: its exit code and error
      // ("preempted by …; requeued") stay in the journal, restart_count and preempted_at.
      exit_code: null,
      error: null,
      argv: null,
    };
    if (!(await this.jobs.moveTo(tx, job.id, 'starting', changes))) return null;
    const { events, ...extra } = await this.hooks.contribute(tx, job, gpuIndices);
    const starting = new JobStartingEvent({
      queue_id: job.id,
      gpu_indices: gpuIndices,
      mig_devices: migDevices,
      started_at: startedAt,
    });
    const entry = this.active.add({
      id: job.id,
      gpuIndices,
      migDevices,
      graceMs: (job.kill_grace_s ?? this.config.kill_grace_seconds) * 1000,
      deadline: deadlineOf({ started_at: startedAt, time_limit_s: job.time_limit_s }),
    });
    this.journal.onRollback(tx, () => {
      if (this.active.isCurrent(entry)) this.active.remove(entry);
    });
    return { job: { ...job, ...changes, status: 'starting' }, entry, extra, events: [starting, ...events] };
  }

  /**
   * Launches a committed claim: the job's files, the launch request (written before the first
   * await, so a caller's next step — the submit's answer — never delays it), then starting → running.
   * A failure fails the job alone, with its reason; never rejects for that.
   */
  async start({ job, entry, extra }: ClaimedLaunch): Promise<void> {
    const { gpu_indices: gpuIndices, mig_devices: migDevices, started_at: startedAt } = job;
    this.metrics.launches.inc();
    // Monotonic when this process queued it; across a restart only the stored wall-clock times exist.
    const waited =
      this.queueWait.take(job.id) ?? (Date.parse(startedAt!) - Date.parse(job.submitted_at)) / 1000;
    this.metrics.submitToStart.observe(Math.max(0, waited));
    this.stopper.armTimeLimit(entry);
    let request: LaunchRequest;
    try {
      request = this.prepare(job, gpuIndices, migDevices, extra);
    } catch (err) {
      // Whatever stopped it (a working directory gone, a full disk for its files), said one way.
      await this.failLaunch(entry, `launch failed: ${(err as Error).message}`);
      return;
    }
    try {
      let started = Promise.resolve();
      const { monitorPid, cgroupError } = await this.launcher.launch(request, (launched) => {
        entry.monitorPid = launched.monitorPid;
        entry.monitorStartTime =
          launched.monitorStartTime ?? readStat(launched.monitorPid)?.startTime ?? null;
        entry.cgroup = launched.cgroup;
        // Queued in this turn, before the job's end can be: a very short job's exit may arrive in
        // the same read as its "launched", and its end must commit after its start (with its pid).
        started = this.reaper.recordStarted(entry, request.argv);
      });
      await started;
      if (cgroupError)
        this.logger.warn(
          `${job.id}: runs without its cgroup (${cgroupError}); tracked by its environment tag`,
        );
      this.logger.log(
        `started ${job.id} (${job.job_type}) pid ${monitorPid}${gpuIndices.length ? ` on GPU ${gpuIndices.join(',')}` : ''}${migDevices.length ? ` on MIG ${migDevices.join(',')}` : ''}`,
      );
      if (entry.request) await this.stopper.signal(entry, killsAtOnce(entry.request) ? 'SIGKILL' : 'SIGTERM');
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
  }

  /**
   * The launch request (the job's argv, environment and files), with the job's files in place
   * (secrets, control dir, no stale exit status); throws with a reason a user can act on (the caller
   * says "launch failed: " before it).
   * Synchronous on purpose: done on libuv's thread pool instead, the round trips made the first
   * command ~2 ms later with no gain in jobs/s (measured, README "Benchmarks").
   */
  private prepare(
    job: Job,
    gpuIndices: number[],
    migDevices: string[],
    extra: JobLaunchContribution,
  ): LaunchRequest {
    const def = this.registry.get(job.job_type);
    if (!def) throw new Error(`job type ${job.job_type} is no longer defined`);
    const cwd = statSync(job.cwd, { throwIfNoEntry: false });
    if (!cwd) throw new Error(`working directory ${job.cwd} does not exist`);
    if (!cwd.isDirectory()) throw new Error(`working directory ${job.cwd} is not a directory`);
    const spec = def.build({
      queueId: job.id,
      params: job.job_params,
      gpuIndices,
      requestedGpus: job.requested_gpus,
      secretsDir: this.config.paths.secretsDir,
    });
    const controlDir = this.files.controlDir(job.id);
    // Minted per launch, read only by the job started after: no fsync (a power loss ends the job with them).
    for (const secret of [...spec.secretFiles, ...extra.secretFiles]) {
      const path = this.files.checkSecretPath(job.id, secret.path);
      saidWithPath(path, () => this.launchFiles.writeSecret(path, secret.content));
    }
    saidWithPath(controlDir, () => this.launchFiles.makeDir(controlDir));
    // A fresh job has none; a requeued (preempted) one's must not be read as this attempt's end or stop.
    if (job.restart_count > 0) {
      rmSync(this.files.exitStatus(job.id), { force: true });
      rmSync(this.files.stopMarker(job.id), { force: true });
      // Nor its trainer's endpoint: until this attempt's trainer publishes one, stop/save answer 409
      // and an abort signals, rather than calling a port the last attempt's trainer has let go.
      rmSync(join(this.files.controlDir(job.id), TRAINER_ENDPOINT_FILE), { force: true });
      // Its log carries on from the last attempt: a line of ours says where this one begins. Only
      // a note: a log that cannot take it (a full disk) never keeps the attempt from starting.
      this.files.noteInLogOrWarn(
        job.id,
        `attempt ${job.restart_count + 1} (requeued after preemption) starting at ${job.started_at}`,
        `the start of attempt ${job.restart_count + 1}`,
      );
    }
    return {
      id: job.id,
      argv: spec.argv,
      cwd: job.cwd,
      env: buildJobEnvironment({
        jobId: job.id,
        nodeId: this.journal.nodeId,
        serverEnv: this.config.job_env,
        typeEnv: spec.env,
        trainyardEnv: extra.env,
        userEnv: job.env,
        controlDir,
        gpuIndices,
        migDevices,
        restartCount: job.restart_count,
        array: job.array_id !== null ? { id: job.array_id, index: job.array_index ?? 0 } : null,
        gpulessHidesGpus: def.gpuless_sees_server_gpus === undefined,
      }),
      log: this.files.tty(job.id),
      logCap: (job.log_cap_bytes ?? this.config.log_cap_bytes) || null,
      exit: this.files.exitStatus(job.id),
    };
  }

  private async failLaunch(entry: ActiveJob, reason: string): Promise<void> {
    const stateDirFault = this.stateDir.afterWriteFailure();
    if (stateDirFault) {
      // Nothing of it ran: it waits, as Slurm requeues a job a node could not start and drains the node.
      await this.reaper.requeueUnlaunched(entry, `${reason}; ${stateDirFault}`);
      return;
    }
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
