import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import {
  isProcessAlive,
  jobProcesses,
  PRIVATE_DIR_MODE,
  readStat,
  SECRET_FILE_MODE,
  SERVER_CONFIG,
  ServerConfig,
  signalAll,
  writeFileAtomic,
} from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { GpuInventory, JOB_ID_ENV, NODE_ID_ENV } from '@trainyard/gpus';
import {
  Job,
  JobFiles,
  JobFinishedEvent,
  JobKillUnverifiedEvent,
  JobRepository,
  JobStartedEvent,
  JobStartingEvent,
  JobStatus,
  ACTIVE_STATUSES,
  QueueWaitTimer,
} from '@trainyard/jobs';
import { JobTypeRegistry } from '@trainyard/queue';
import {
  describeExit,
  envFileText,
  exitCodeFromSignal,
  LauncherTools,
  resolveLauncherTools,
  scriptLaunch,
  wrapperEnv,
} from './process/job-launch';
import { SchedulerMetrics } from './scheduler.metrics';

interface ActiveJob {
  id: string;
  pid: number;
  startTime: string | null;
  /** Present when we spawned it; re-attached jobs are watched by polling. */
  child: ChildProcess | null;
  /** Sessions seen for this job, to find re-parented processes after the root is gone. */
  sessions: Set<number>;
  stopRequested: { signal: NodeJS.Signals; reason: string } | null;
  gpuIndices: number[];
  ended: Promise<void>;
  resolveEnded: () => void;
}

export const KILL_VERIFY_MS = 2000;

/** Starts jobs, watches them end, stops them on request, and re-attaches them after a restart. */
@Injectable()
export class JobSupervisor implements OnModuleDestroy {
  private readonly logger = new Logger('Jobs');
  private readonly active = new Map<string, ActiveJob>();
  /** Jobs whose end is being recorded (still active until that commits). */
  private readonly ending = new Set<string>();
  private poller: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly files: JobFiles;
  /** Resolved once at boot from the server's PATH; a string says why jobs cannot launch. */
  private readonly tools: LauncherTools | string;
  private readonly wrapperEnv: Record<string, string>;

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
    private readonly gpus: GpuInventory,
    private readonly registry: JobTypeRegistry,
    private readonly metrics: SchedulerMetrics,
    private readonly queueWait: QueueWaitTimer,
  ) {
    this.files = new JobFiles(config.paths);
    this.tools = resolveLauncherTools(config.job_env.PATH);
    if (typeof this.tools === 'string') this.logger.error(this.tools);
    this.wrapperEnv = typeof this.tools === 'string' ? {} : wrapperEnv(config.job_env, this.tools);
  }

  get runningCount(): number {
    return this.active.size;
  }

  /** Resolves when the job has ended and its terminal state is committed (or at once if unknown). */
  whenEnded(id: string): Promise<void> {
    return this.active.get(id)?.ended ?? Promise.resolve();
  }

  /** queued → starting (CAS) → spawn → running. Returns false if the item was no longer queued. */
  async launch(job: Job, gpuIndices: number[]): Promise<boolean> {
    const startedAt = new Date().toISOString();
    const claimed = await this.journal.record(async (tx) => {
      const ok = await this.jobs.transition(tx, job.id, ['queued'], {
        status: 'starting',
        gpu_indices: gpuIndices,
        started_at: startedAt,
      });
      const starting = new JobStartingEvent({
        queue_id: job.id,
        gpu_indices: gpuIndices,
        started_at: startedAt,
      });
      return { result: ok, events: ok ? [starting] : [] };
    });
    if (!claimed) return false;
    this.metrics.launches.inc();
    // Monotonic when this process queued it; across a restart only the stored wall-clock times exist.
    const waited =
      this.queueWait.take(job.id) ?? (Date.parse(startedAt) - Date.parse(job.submitted_at)) / 1000;
    this.metrics.submitToStart.observe(Math.max(0, waited));
    const entry = this.track(job.id, 0, null, null, gpuIndices);
    this.publishReservations();
    try {
      const child = await this.spawnJob(job, gpuIndices);
      entry.child = child;
      entry.pid = child.pid!;
      const stat = readStat(child.pid!);
      entry.startTime = stat?.startTime ?? null;
      if (stat) entry.sessions.add(stat.sid);
      child.once('exit', (code, signal) => {
        const status = code ?? (signal ? exitCodeFromSignal(signal) : 1);
        void this.finish(job.id, status);
      });
      await this.journal.record(async (tx) => {
        // A very short job may already have finished: the CAS then leaves its terminal state alone.
        const ok = await this.jobs.transition(tx, job.id, ['starting'], {
          status: 'running',
          pid: child.pid!,
          proc_start_time: entry.startTime,
        });
        const started = new JobStartedEvent({
          queue_id: job.id,
          pid: child.pid!,
          proc_start_time: entry.startTime,
        });
        return { result: undefined, events: ok ? [started] : [] };
      });
      this.logger.log(
        `started ${job.id} (${job.job_type}) pid ${child.pid}${gpuIndices.length ? ` on GPU ${gpuIndices.join(',')}` : ''}`,
      );
    } catch (err) {
      this.metrics.launchFailures.inc();
      await this.finish(job.id, null, `launch failed: ${(err as Error).message}`);
    }
    return true;
  }

  /**
   * Writes the job's files and starts its wrappers; resolves once the process exists. Rejects (never
   * throws an unhandled `error` event) when anything about the launch fails, with a reason for the job.
   */
  private async spawnJob(job: Job, gpuIndices: number[]): Promise<ChildProcess> {
    if (typeof this.tools === 'string') throw new Error(this.tools);
    const def = this.registry.get(job.job_type);
    if (!def) throw new Error(`job type ${job.job_type} is no longer defined`);
    const spec = def.build({
      queueId: job.id,
      params: job.job_params,
      gpuIndices,
      requestedGpus: job.requested_gpus,
      secretsDir: this.config.paths.secretsDir,
    });
    for (const secret of spec.secretFiles) {
      writeFileAtomic(this.files.checkSecretPath(job.id, secret.path), secret.content);
    }
    const controlDir = this.files.controlDir(job.id);
    mkdirSync(controlDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    // Only the job's command gets this; the wrappers run with the server's environment.
    const env: Record<string, string> = {
      ...this.config.job_env,
      // nvidia-smi numbers GPUs in PCI bus order; make CUDA agree so index N is the same card.
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
      ...spec.env,
      ...job.env,
      // The tag GPU attribution trusts (with the process's uid): this server's job, this job.
      [JOB_ID_ENV]: job.id,
      [NODE_ID_ENV]: this.journal.nodeId,
      TRAINYARD_CONTROL_DIR: controlDir,
    };
    if (gpuIndices.length > 0) env.CUDA_VISIBLE_DEVICES = gpuIndices.join(',');
    else if (def.gpuless_cuda_visible_empty && !('CUDA_VISIBLE_DEVICES' in job.env))
      env.CUDA_VISIBLE_DEVICES = '';
    if (!existsSync(job.cwd)) throw new Error(`working directory ${job.cwd} does not exist`);
    const exitFile = this.files.exitStatus(job.id);
    const envFile = this.files.launchEnv(job.id);
    rmSync(exitFile, { force: true });
    rmSync(envFile, { force: true });
    writeFileSync(envFile, envFileText(env), { mode: SECRET_FILE_MODE, flag: 'wx' });
    const launch = scriptLaunch(this.tools, spec.argv, { exitFile, envFile });
    const tty = openSync(this.files.tty(job.id), 'a', SECRET_FILE_MODE);
    try {
      // Detached: its own session, so it outlives the server; output goes straight to the file.
      const child = spawn(launch.command, launch.args, {
        cwd: job.cwd,
        env: this.wrapperEnv,
        detached: true,
        stdio: ['ignore', tty, tty],
      });
      return await started(child);
    } catch (err) {
      rmSync(envFile, { force: true });
      throw launchError(err as NodeJS.ErrnoException, job.cwd);
    } finally {
      closeSync(tty);
    }
  }

  /** At boot: keep supervising jobs that are still alive; settle the ones that ended meanwhile. */
  async reattachAll(): Promise<void> {
    for (const job of await this.jobs.withStatus(ACTIVE_STATUSES)) {
      if (job.pid && isProcessAlive(job.pid, job.proc_start_time)) {
        const entry = this.track(job.id, job.pid, job.proc_start_time, null, job.gpu_indices);
        for (const p of jobProcesses(job.pid)) entry.sessions.add(p.sid);
        this.logger.log(`re-attached ${job.id} (pid ${job.pid})`);
      } else {
        this.track(job.id, job.pid ?? 0, job.proc_start_time, null, job.gpu_indices);
        await this.finish(job.id, null, null, true);
      }
    }
    this.publishReservations();
    this.poller = setInterval(() => this.pollReattached(), 500);
    this.poller.unref();
  }

  private pollReattached(): void {
    for (const entry of this.active.values()) {
      if (entry.child || entry.pid === 0) continue;
      if (!isProcessAlive(entry.pid, entry.startTime)) void this.finish(entry.id, null);
    }
  }

  /**
   * SIGTERM (kill/abort) or SIGKILL (force-kill) to every process of the job, then checks for up to
   * 2 s that they are gone; if not, says so in the job's `error`.
   */
  async stop(
    id: string,
    signal: 'SIGTERM' | 'SIGKILL',
    reason: string,
  ): Promise<{ pids: number[]; survivors: number[] }> {
    const entry = this.active.get(id);
    if (!entry) return { pids: [], survivors: [] };
    entry.stopRequested ??= { signal, reason };
    if (signal === 'SIGKILL') entry.stopRequested = { signal, reason };
    const procs = jobProcesses(entry.pid, entry.sessions);
    procs.forEach((p) => entry.sessions.add(p.sid));
    // On SIGTERM, leave `script` and the exit-status shim alone so the job's real status is recorded.
    const wrappers = new Set([entry.pid, ...procs.filter((p) => p.ppid === entry.pid).map((p) => p.pid)]);
    const targets = signal === 'SIGKILL' ? procs : procs.filter((p) => !wrappers.has(p.pid));
    const { sent } = signalAll(
      (targets.length ? targets : procs).map((p) => p.pid),
      signal,
    );
    const deadline = performance.now() + KILL_VERIFY_MS; // monotonic: a clock jump cannot stretch it
    let survivors = sent;
    while (performance.now() < deadline) {
      survivors = jobProcesses(entry.pid, entry.sessions)
        .map((p) => p.pid)
        .filter((pid) => sent.includes(pid));
      if (survivors.length === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (survivors.length > 0 && this.active.has(id)) {
      const message = `${survivors.length} process(es) still running ${KILL_VERIFY_MS / 1000} s after ${signal} (pids ${survivors.join(', ')})${
        signal === 'SIGTERM' ? '; use force-kill' : ''
      }`;
      await this.journal.record(async (tx) => {
        await this.jobs.setError(tx, id, message);
        const event = new JobKillUnverifiedEvent({
          queue_id: id,
          signal,
          survivor_pids: survivors,
          error: message,
        });
        return { result: undefined, events: [event] };
      });
    }
    return { pids: sent, survivors };
  }

  /** Commits the terminal state once; the job-side exit file wins over what `script` reported. */
  private async finish(
    id: string,
    reportedCode: number | null,
    launchError: string | null = null,
    afterRestart = false,
  ): Promise<void> {
    const entry = this.active.get(id);
    if (!entry || this.closed || this.ending.has(id)) return;
    this.ending.add(id);
    const endedAt = new Date().toISOString();
    const fromShim = readExitFile(this.files.exitStatus(id));
    const code = fromShim ?? reportedCode;
    let status: JobStatus;
    let error: string | null = null;
    if (launchError) {
      status = 'failed';
      error = launchError;
    } else if (entry.stopRequested) {
      status = 'aborted';
      error = `${entry.stopRequested.reason} (${entry.stopRequested.signal})`;
    } else if (code === 0) {
      status = 'done';
    } else {
      status = 'failed';
      if (code === null) {
        error = afterRestart
          ? 'the job was no longer running when the server restarted, and left no exit status'
          : 'the job ended without an exit status';
      } else {
        error = describeExit(code) + (afterRestart ? ' (ended while the server was down)' : '');
      }
    }
    // Until the terminal state is committed the job stays active (its GPUs stay reserved); if the
    // server stops first, the next one re-attaches it and settles it from the exit file.
    try {
      const committed = await this.recordUntilCommitted(`record the end of ${id}`, async (tx) => {
        const ended = { status, exit_code: code, error, ended_at: endedAt };
        const ok = await this.jobs.transition(tx, id, ACTIVE_STATUSES, ended);
        return { result: undefined, events: ok ? [new JobFinishedEvent({ queue_id: id, ...ended })] : [] };
      });
      if (committed) {
        this.logger.log(
          `${id} ${status}${code === null ? '' : ` (exit ${code})`}${error ? `: ${error}` : ''}`,
        );
      }
    } finally {
      this.ending.delete(id);
      this.active.delete(id);
      this.publishReservations();
      entry.resolveEnded();
    }
  }

  /**
   * A job-end write must survive a transient failure (the database locked by another process, a
   * full disk): retried with backoff, 0.1 s doubling to 5 s, until it commits. Returns false when
   * the supervisor closed first (the next server settles the job).
   */
  private async recordUntilCommitted(what: string, work: Parameters<Journal['record']>[0]): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.journal.record(work);
        return true;
      } catch (err) {
        if (this.closed) return false;
        const delayMs = Math.min(100 * 2 ** (attempt - 1), 5000);
        this.logger.warn(
          `could not ${what} (attempt ${attempt}): ${(err as Error).message}; retrying in ${delayMs} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (this.closed) return false;
      }
    }
  }

  private track(
    id: string,
    pid: number,
    startTime: string | null,
    child: ChildProcess | null,
    gpuIndices: number[],
  ): ActiveJob {
    let resolveEnded!: () => void;
    const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
    const entry: ActiveJob = {
      id,
      pid,
      startTime,
      child,
      sessions: new Set(),
      stopRequested: null,
      gpuIndices,
      ended,
      resolveEnded,
    };
    this.active.set(id, entry);
    return entry;
  }

  private publishReservations(): void {
    const map = new Map<number, string>();
    for (const entry of this.active.values()) for (const index of entry.gpuIndices) map.set(index, entry.id);
    this.gpus.setReservations(map);
  }

  isActive(id: string): boolean {
    return this.active.has(id);
  }

  /** Leaves jobs running (they are re-attached by the next server) and stops watching them. */
  onModuleDestroy(): void {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    for (const entry of this.active.values()) {
      entry.child?.removeAllListeners('exit');
      entry.child?.unref();
    }
  }
}

function readExitFile(path: string): number | null {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

/**
 * Resolves with the child once it is running; rejects when it could not start (ENOENT, EACCES...).
 * The `error` listener is attached at once and stays: an `error` emitted later (a failed kill) is
 * never fatal.
 */
function started(child: ChildProcess): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      if (child.pid === undefined) reject(err);
    });
    child.once('spawn', () => resolve(child));
  });
}

/** The reason a launch failed, for the job's `error`; spawn blames itself when it is the cwd. */
function launchError(err: NodeJS.ErrnoException, cwd: string): Error {
  let cwdProblem: string | null = null;
  try {
    if (!statSync(cwd).isDirectory()) cwdProblem = 'is not a directory';
  } catch {
    cwdProblem = 'does not exist';
  }
  return new Error(
    cwdProblem
      ? `working directory ${cwd} ${cwdProblem}`
      : `could not start the job's terminal: ${err.message}`,
  );
}
