import { Logger } from '@nestjs/common';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { findRepoRoot } from '@trainyard/core';

/** What the launcher needs to start one job (see trainyard-launcher.c for the protocol). */
export interface LaunchRequest {
  id: string;
  argv: string[];
  cwd: string;
  /** The job's whole environment; only the job's command gets it. */
  env: Record<string, string>;
  /** Where the job's terminal output is appended. */
  log: string;
  /**
   * Bytes the log file may hold (null: no cap): beyond it the oldest output is dropped behind a
   * marker line, the newest kept (offsets stay logical through the `<log>.base` sidecar).
   */
  logCap: number | null;
  /** Where the job command's exit status is written when it ends. */
  exit: string;
}

/** A started job: the monitor owns the job's terminal and outlives every other process of the job. */
export interface Launched {
  monitorPid: number;
  /**
   * The monitor's start time (field 22 of its /proc stat), as the monitor itself read it: the job may
   * kill its monitor before the server could. With the pid it is the job's `proc_start_time`.
   */
  monitorStartTime: string | null;
  /** The job command's own pid. */
  pid: number;
  /**
   * The cgroup v2 directory the job runs in, `<cgroup parent>/monitor-<monitorPid>` (its process was
   * in it before it ran anything); null without a cgroup parent, or when it could not be joined.
   */
  cgroup: string | null;
  /** Why the job is not in its cgroup (it runs regardless, tracked by its tag); null when it is, or none was asked. */
  cgroupError: string | null;
}

export interface LauncherEvents {
  /** The job's command ended with a shell-style `status`; other processes of the job may remain. */
  /** `detail`: what the exit file says besides the status (for an end settled before it is there). */
  mainExited(id: string, status: number | null, detail: CommandExitDetail): void;
  /**
   * Output the job wrote at its end that a full disk kept out of its log, and the log could not say
   * so itself (still no room): `bytes` lost, `error` the system's reason. Comes before `exited`.
   */
  outputLost(id: string, bytes: number, error: string): void;
  /** The job's monitor ended: normally, every process of the job is gone. */
  exited(id: string, monitorPid: number, status: number | null): void;
  /** The launcher died; launches in flight are failed with `LauncherGoneError`. */
  launcherDied(): void;
}

export class LauncherGoneError extends Error {}

/**
 * How long a launch may wait for its "launched" before the launcher counts as hung: it is killed (its
 * jobs carry on), and the launches in flight end as when it dies (looked for by their tag).
 */
export const LAUNCH_TIMEOUT_MS = 30_000;

export interface LauncherOptions {
  /**
   * The server's parent cgroup v2 directory (null: none): each job runs in its own cgroup in it,
   * `monitor-<its monitor's pid>-<its start time>`, which its monitor makes.
   */
  cgroupParent?: string | null;
  /** The launcher binary (default: dist/bin/trainyard-launcher). */
  binary?: string;
  /** Default LAUNCH_TIMEOUT_MS. */
  launchTimeoutMs?: number;
}

type Message =
  | {
      op: 'launched';
      id: string;
      monitor_pid: number;
      monitor_start_time?: string;
      pid: number;
      cgroup?: string | null;
      cgroup_error?: string | null;
    }
  | { op: 'launch_failed'; id: string; error: string }
  | { op: 'main_exited'; id: string; status: number | null; by_signal?: boolean; why?: string }
  | { op: 'output_lost'; id: string; bytes: number; error: string }
  | { op: 'exited'; id: string; monitor_pid: number; status: number | null };

/** How the job's command ended besides its status: by a signal; why it could not be run at all. */
export interface CommandExitDetail {
  bySignal: boolean;
  why: string | null;
}

/** The launcher (trainyard-launcher.c and its per-job monitor, trainyard-monitor.c), built by scripts/build-launcher.js. */
const LAUNCHER = join(findRepoRoot(), 'dist', 'bin', 'trainyard-launcher');

/**
 * The launch request as trainyard-launcher reads it: fields each ended by a NUL byte ("launch", id,
 * log, exit, log cap, cwd, argc, argv…, envc, NAME=value…). Throws when a field holds a NUL byte
 * (no command, environment or path can).
 */
export function encodeLaunchRequest(request: LaunchRequest): Buffer {
  const env = Object.entries(request.env).map(([name, value]) => `${name}=${value}`);
  const fields = [
    'launch',
    request.id,
    request.log,
    request.exit,
    request.logCap ? String(request.logCap) : '',
    request.cwd,
    String(request.argv.length),
    ...request.argv,
    String(env.length),
    ...env,
  ];
  if (fields.some((field) => field.includes('\0')))
    throw new Error('the command, its environment and its paths cannot contain a NUL byte');
  return Buffer.from(`${fields.join('\0')}\0`);
}

/**
 * Talks to the long-lived launcher process (trainyard-launcher, C), starting it on first
 * use and again after it dies. The launcher runs with the server's own environment and binaries;
 * jobs it started keep running whatever happens to it or to us.
 */
export class LauncherClient {
  private readonly logger = new Logger('Launcher');
  private child: ChildProcess | null = null;
  private readonly pending = new Map<
    string,
    { resolve: (l: Launched) => void; reject: (e: Error) => void }
  >();
  private closed = false;
  private readonly timeoutMs: number;
  /** Requests of the launches made inside {@link batch}, sent together when it ends. */
  private batched: Buffer[] | null = null;

  constructor(
    private readonly env: Record<string, string>,
    private readonly events: LauncherEvents,
    private readonly options: LauncherOptions = {},
  ) {
    this.timeoutMs = options.launchTimeoutMs ?? LAUNCH_TIMEOUT_MS;
  }

  /**
   * Starts a job. `onLaunched` runs synchronously when the launcher reports the start, before any
   * later report of the same job (its end may follow in the same read) is delivered.
   */
  launch(request: LaunchRequest, onLaunched: (launched: Launched) => void): Promise<Launched> {
    if (this.closed) return Promise.reject(new LauncherGoneError('the server is shutting down'));
    return new Promise<Launched>((resolve, reject) => {
      const encoded = encodeLaunchRequest(request); // throwing here rejects
      const child = this.ensureStarted();
      const timer = setTimeout(() => {
        if (this.child !== child || !this.pending.has(request.id)) return;
        this.logger.error(
          `the job launcher did not answer a launch within ${this.timeoutMs / 1000} s: killing it (running jobs are not affected)`,
        );
        child.kill('SIGKILL'); // its 'exit' fails the launches in flight
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(request.id, {
        resolve: (launched) => {
          clearTimeout(timer);
          onLaunched(launched);
          resolve(launched);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      if (this.batched) this.batched.push(encoded);
      else child.stdin!.write(encoded);
    });
  }

  /**
   * Runs `fn`, which makes several launches at once: their requests reach the launcher in one write
   * when it returns (one wake-up of the launcher for them all, not one each).
   */
  batch(fn: () => void): void {
    if (this.batched) return fn();
    this.batched = [];
    try {
      fn();
    } finally {
      const requests = this.batched;
      this.batched = null;
      if (requests.length) this.ensureStarted().stdin!.write(Buffer.concat(requests));
    }
  }

  /** Stops talking to the launcher; it exits when its stdin closes, jobs keep running. */
  close(): void {
    this.closed = true;
    this.child?.stdin?.end();
    this.child?.unref();
    this.child = null;
  }

  private ensureStarted(): ChildProcess {
    if (this.child) return this.child;
    const parent = this.options.cgroupParent;
    const binary = this.options.binary ?? LAUNCHER;
    const child = spawn(binary, parent ? ['--cgroup-parent', parent] : [], {
      env: this.env,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.child = child;
    child.on('error', (err) => {
      if (child.pid !== undefined) return this.logger.error(`job launcher: ${err.message}`);
      // It never ran (no 'exit' follows): nothing was launched, so the launches fail for good, and
      // the next one tries again.
      if (this.child === child) this.child = null;
      const why = `cannot run the job launcher ${binary}: ${err.message} (\`npm run build\` builds it; it needs a C compiler)`;
      this.logger.error(why);
      for (const { reject } of this.pending.values()) reject(new Error(why));
      this.pending.clear();
    });
    child.stdin.on('error', () => undefined); // EPIPE when it died: handled by 'exit'
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      const gone = new LauncherGoneError(`the job launcher exited (${signal ?? `code ${code}`})`);
      for (const { reject } of this.pending.values()) reject(gone);
      this.pending.clear();
      if (this.closed) return;
      this.logger.warn(
        `${gone.message}; running jobs are not affected; it starts again with the next launch`,
      );
      this.events.launcherDied();
    });
    return child;
  }

  private onLine(line: string): void {
    let message: Message;
    try {
      message = JSON.parse(line) as Message;
    } catch {
      this.logger.warn(`unreadable launcher line: ${line.slice(0, 200)}`);
      return;
    }
    switch (message.op) {
      case 'launched': {
        this.pending.get(message.id)?.resolve({
          monitorPid: message.monitor_pid,
          monitorStartTime: message.monitor_start_time ?? null,
          pid: message.pid,
          cgroup: message.cgroup ?? null,
          cgroupError: message.cgroup_error ?? null,
        });
        this.pending.delete(message.id);
        break;
      }
      case 'launch_failed':
        this.pending.get(message.id)?.reject(new Error(message.error));
        this.pending.delete(message.id);
        break;
      case 'main_exited':
        this.events.mainExited(message.id, message.status, {
          bySignal: message.by_signal ?? false,
          why: message.why || null,
        });
        break;
      case 'output_lost':
        this.events.outputLost(message.id, message.bytes, message.error);
        break;
      case 'exited': {
        // A monitor that ended before it could report the start: the job never ran.
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (pending)
          pending.reject(new Error(`its monitor ended before the job started (status ${message.status})`));
        else this.events.exited(message.id, message.monitor_pid, message.status);
        break;
      }
    }
  }
}
