import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { existsSync, statSync } from 'node:fs';
import { isProcessAlive, readProcessCommand, StateDirectory } from '@trainyard/core';
import type { Tx } from '@trainyard/database';
import { Journal } from '@trainyard/journal';
import {
  JobFiles,
  JobFinishedEvent,
  JobHooks,
  JobPreemptedEvent,
  JobRepository,
  JobRequeuedEvent,
  JobStartedEvent,
  JobTerminatingEvent,
  readRegularFileSync,
  settle,
} from '@trainyard/jobs';
import type { CommandExitDetail } from '../launcher/launcher-client';
import { ActiveJob, ActiveJobs, runsElsewhere } from './active-jobs';
import { JobStopper } from './job-stopper';
import { JobProcesses } from './job-processes';
import { LaunchFiles } from './launch-files';
import { LateLogNotes } from './late-log-notes';

/** How often jobs that are not watched through the launcher are checked. */
export const POLL_MS = 500;
/** After the command ended, how long other processes may linger before cleanup starts. */
export const LINGER_MS = 100;
/** How long a monitor may take to end once nothing of its job is left (it writes the exit status). */
const MONITOR_END_GRACE_MS = 1000;
const COMMIT_RETRY_MS = [100, 250, 500, 1000, 2000, 5000];
/**
 * When nothing of a started job is left but its command's status is not known yet (its monitor was
 * killed, while the server ran or while it was down): how long its end waits for that status. The
 * launcher (the command's subreaper from then on) records it within milliseconds of the exit, but
 * the command leaves the job's processes at its exit, before that: settling on "nothing left" alone
 * recorded the job without its exit code (CI, 1 job in 40).
 */
export const COMMAND_STATUS_GRACE_MS = 5_000;

/**
 * The reap verb: notices that a job's command ended and that its last process is gone, cleans up
 * what the command left behind (SIGTERM, grace, SIGKILL), then settles the job from the evidence
 * (persisted request, exit-status file) and commits its end — retrying, with its GPUs still
 * reserved, until the database takes the write.
 */
@Injectable()
export class JobReaper implements OnModuleDestroy {
  private readonly logger = new Logger('Jobs');
  private poller: NodeJS.Timeout | null = null;
  /** Jobs whose leftovers are being stopped. */
  private readonly cleaning = new WeakSet<ActiveJob>();
  private closed = false;
  /** Ended jobs whose control directory and secret files are still to go. */
  private readonly spent: string[] = [];
  private spentFlush: NodeJS.Immediate | null = null;

  constructor(
    private readonly active: ActiveJobs,
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
    private readonly files: JobFiles,
    private readonly stopper: JobStopper,
    private readonly processes: JobProcesses,
    private readonly hooks: JobHooks,
    private readonly launchFiles: LaunchFiles,
    private readonly stateDir: StateDirectory,
    private readonly lateNotes: LateLogNotes,
  ) {}

  startPolling(): void {
    this.poller ??= setInterval(() => this.poll(), POLL_MS);
    this.poller.unref();
  }

  onModuleDestroy(): void {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    if (this.spentFlush) {
      clearImmediate(this.spentFlush);
      this.recycleSpentNow();
    }
  }

  /** The launcher says the job's command ended; the monitor is still up while anything else remains. */
  onMainExited(id: string, status: number | null, detail: CommandExitDetail): void {
    const entry = this.active.get(id);
    if (!entry) return;
    entry.mainExit = status;
    entry.mainExitDetail = detail;
    const timer = setTimeout(() => {
      if (this.active.get(id) !== entry || entry.settling) return;
      // Being stopped already: what remains finishes its shutdown; the command's status is shown meanwhile.
      if (entry.request !== null) this.recordCommandExit(entry).catch(this.logFailure(id));
      else if (this.processes.workers(entry).length > 0)
        this.cleanUpLeftovers(entry).catch(this.logFailure(id));
      else this.unlessMonitorEnds(entry);
    }, LINGER_MS);
    timer.unref();
  }

  /**
   * The command ended and nothing else of the job is left: its monitor, which only writes the exit
   * status now, ends within milliseconds. One that has not after MONITOR_END_GRACE_MS waits for room
   * to write it (a full disk; it retries each second): the job's end is recorded now, from the status
   * the launcher reported — the job is over, and its GPUs are free — rather than whenever the disk
   * has room. The monitor's own end is then no news.
   */
  private unlessMonitorEnds(entry: ActiveJob): void {
    setTimeout(() => {
      if (this.active.get(entry.id) !== entry || entry.settling || entry.request !== null) return;
      if (this.processes.workers(entry).length > 0) return; // the command left something after all
      this.logger.warn(
        `${entry.id}: its command ended (status ${entry.mainExit}), but its monitor (pid ${entry.monitorPid}) has not written its exit status after ${MONITOR_END_GRACE_MS} ms (a full disk?): its end is recorded now`,
      );
      void this.finish(entry);
    }, MONITOR_END_GRACE_MS).unref();
  }

  /**
   * The launcher says the log lost the job's last output to a full disk, and could not say so: the
   * state directory is checked as after a failed launch, so health says so and launches wait.
   */
  onOutputLost(id: string, bytes: number, error: string): void {
    const entry = this.active.get(id);
    if (entry) entry.endNotes.push(`${bytes} bytes of output lost: ${error}`);
    this.stateDir.afterWriteFailure();
  }

  /**
   * The launcher says the job's monitor ended. Normally every process of the job is gone then (the
   * monitor is their subreaper); if the monitor was killed, its orphans are looked for by tag.
   */
  onExited(id: string, monitorPid: number, status: number | null): void {
    const entry = this.active.get(id);
    if (!entry || entry.monitorPid !== monitorPid) return;
    // A monitor ends with its command's status; anything else (or a signal) means it was killed.
    const normal =
      entry.mainExit !== undefined && status === entry.mainExit && status !== null && status < 128;
    if (normal) {
      void this.finish(entry);
      return;
    }
    if (entry.mainExit === undefined) {
      // Killed while its command ran (the command's end would have come first): the log was its.
      this.files.noteInLogOrWarn(
        id,
        // Not "from now on": output still in the terminal, unread by the monitor, is lost as well.
        `the job's monitor (pid ${monitorPid}) was killed while the command ran; output it had not ` +
          'read yet when it died, and all the command writes after that, is not in this log (the job is ' +
          'still tracked, and its exit status recorded)',
        "its monitor's end",
      );
    }
    entry.watch = 'poll';
    this.checkGone(entry);
  }

  /**
   * starting → running with its monitor's pid, as its launch reported it or as it was found by its
   * tag (or only the pid, when a stop request made it `terminating` first), and the argv it was
   * started with (not known when found by its tag); commits in call order.
   */
  recordStarted(entry: ActiveJob, argv?: string[]): Promise<void> {
    const started = { pid: entry.monitorPid, proc_start_time: entry.monitorStartTime, ...(argv && { argv }) };
    return this.journal.record(async (tx) => {
      const noted =
        (await this.jobs.moveTo(tx, entry.id, 'running', started)) ||
        (await this.jobs.updateActive(tx, entry.id, started));
      return {
        result: undefined,
        events: noted ? [new JobStartedEvent({ queue_id: entry.id, ...started })] : [],
      };
    });
  }

  /**
   * A job claimed but never reported launched (the worker or the launcher died in between) whose
   * processes run: watched through its monitor (found through its tagged processes) and recorded
   * `running`, as the launch report would have. Null when none is found; else the record's commit.
   */
  adoptByTag(entry: ActiveJob): Promise<void> | null {
    const monitor = this.processes.findMonitor(entry.id);
    if (!monitor) return null;
    entry.monitorPid = monitor.pid;
    entry.monitorStartTime = monitor.startTime;
    entry.cgroup = this.processes.cgroupOf({
      id: entry.id,
      monitorPid: monitor.pid,
      startTime: monitor.startTime,
    });
    this.logger.log(`re-attached ${entry.id}, found by its tag (monitor pid ${monitor.pid})`);
    return this.recordStarted(entry);
  }

  /** Settles a job whose launch failed; nothing of it ran. */
  async launchFailed(entry: ActiveJob, error: string): Promise<void> {
    await this.finish(entry, error);
  }

  /** Jobs found after a restart, or whose monitor died: done once the monitor and every tagged process are gone. */
  private poll(): void {
    for (const entry of this.active.all()) {
      if (entry.watch !== 'poll' || entry.settling) continue;
      if (entry.monitorPid > 0 && isProcessAlive(entry.monitorPid, entry.monitorStartTime)) {
        // The monitor outlives its command while anything of the job is left: once the command has
        // ended (its exit file says so: nobody reports it in this mode), that is cleaned up.
        if (!entry.killTimer && entry.request === null && this.commandEnded(entry))
          this.cleanUpLeftovers(entry).catch(this.logFailure(entry.id));
        continue;
      }
      this.checkGone(entry);
    }
  }

  private commandEnded(entry: ActiveJob): boolean {
    return entry.mainExit !== undefined || readExitFile(this.files.exitStatus(entry.id)) !== null;
  }

  /** At boot, for a job whose monitor is gone: settles it now when nothing of it is left. */
  async settleIfGone(entry: ActiveJob): Promise<void> {
    if (runsElsewhere(entry) || this.processes.workers(entry, false).length > 0) return;
    if (
      entry.monitorPid === 0 &&
      entry.noEvidenceUntil > Date.now() &&
      readExitFile(this.files.exitStatus(entry.id)) === null
    )
      return;
    entry.endedWhileDown = true;
    await this.finish(entry);
  }

  private checkGone(entry: ActiveJob): void {
    if (runsElsewhere(entry)) return;
    const left = this.processes.workers(entry, false);
    if (left.length > 0) {
      // Its launch happened, unreported (the launcher died before we read it): watched from now on.
      const adopted = entry.monitorPid === 0 ? this.adoptByTag(entry) : null;
      if (adopted) {
        adopted
          .then(() => (entry.request ? this.stopper.resume(entry) : undefined))
          .catch(this.logFailure(entry.id));
        return;
      }
      // Only what the command left behind is cleaned up; while the command itself runs, it runs.
      if (this.commandEnded(entry) && !entry.killTimer && entry.request === null)
        this.cleanUpLeftovers(entry).catch(this.logFailure(entry.id));
      return;
    }
    const ended = this.commandEnded(entry);
    // Found in `starting` at boot: give its launch time to show up before settling without evidence.
    if (Date.now() < entry.noEvidenceUntil && !ended) return;
    if (entry.monitorPid === 0 && entry.request === null && !existsSync(this.files.tty(entry.id))) {
      // its monitor (which creates the log first thing) never started
      void this.requeueUnlaunched(entry, 'it was claimed but its launch never started');
      return;
    }
    if (!ended && entry.noEvidenceUntil === 0) {
      entry.noEvidenceUntil = Date.now() + COMMAND_STATUS_GRACE_MS; // once, from the moment it is gone
      return;
    }
    // Never seen running: nothing watched its end (another directory's was watched: see foreignMonitor).
    if (entry.monitorPid === 0 && !entry.foreignMonitor) entry.endedWhileDown = true;
    void this.finish(entry);
  }

  /**
   * A claim whose launch never happened goes back to the queue, in its place, GPUs freed; `why` is
   * logged. Saving it is tried until it commits (a full disk), its GPUs reserved meanwhile.
   */
  async requeueUnlaunched(entry: ActiveJob, why: string): Promise<void> {
    if (entry.settling || this.closed) return;
    entry.settling = true;
    const saved = await this.untilCommitted(`the requeue of ${entry.id}`, () =>
      this.journal.record(async (tx) => {
        const ok = await this.jobs.moveTo(tx, entry.id, 'queued', {
          started_at: null,
          gpu_indices: [],
          mig_devices: [],
        });
        return { result: undefined, events: ok ? [new JobRequeuedEvent(entry.id)] : [] };
      }),
    );
    if (!saved) return;
    this.logger.warn(`${entry.id}: ${why}: queued again`);
    this.active.remove(entry);
  }

  /** Runs `write` until it commits (a full disk, a lock held elsewhere), backing off; false once closed. */
  private async untilCommitted(what: string, write: () => Promise<void>): Promise<boolean> {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        await write();
        return true;
      } catch (err) {
        const delay = COMMIT_RETRY_MS[Math.min(attempt, COMMIT_RETRY_MS.length - 1)];
        this.logger.error(
          `could not record ${what} (${(err as Error).message}); retrying in ${delay} ms, its GPUs stay reserved`,
        );
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
    return false;
  }

  /** The command ended but processes of the job remain: `terminating`, then SIGTERM, grace, SIGKILL. */
  private async cleanUpLeftovers(entry: ActiveJob): Promise<void> {
    if (entry.killTimer || entry.request !== null || this.cleaning.has(entry)) return;
    const left = this.processes.workers(entry);
    if (left.length === 0) return;
    this.cleaning.add(entry); // once: the next poll may come before this has signalled them
    this.logger.log(
      `${entry.id}: its command ended; stopping ${left.length} process(es) it left behind (pid ${left.join(', ')})`,
    );
    // The command's own status is known now: shown while what it left behind is stopped.
    const exitCode = readExitFile(this.files.exitStatus(entry.id)) ?? entry.mainExit ?? null;
    entry.mainExit ??= exitCode; // ended, in poll mode too: a stop asked from now on hastens only this
    await this.recordLeftovers(entry, exitCode).catch((err: unknown) => {
      this.cleaning.delete(entry); // not committed, nothing signalled: a later poll tries again
      throw err;
    });
    // Said where the job's user looks: its log (the record only says the command's own status).
    this.files.noteInLogOrWarn(
      entry.id,
      `the command ended${exitCode === null ? '' : ` (exit ${exitCode})`}; stopping what it left running: ` +
        left.map((pid) => `pid ${pid}${describeProcess(pid)}`).join(', '),
      'its leftovers',
    );
    await this.stopper.signal(entry, 'SIGTERM');
  }

  /**
   * A job being stopped whose command ended while other processes of it still shut down (a trainer
   * saving): its `exit_code` is the command's from now on, not only once the last process is gone.
   */
  private async recordCommandExit(entry: ActiveJob): Promise<void> {
    if (this.processes.workers(entry).length === 0) return; // its end follows at once
    const exitCode = readExitFile(this.files.exitStatus(entry.id)) ?? entry.mainExit ?? null;
    if (exitCode === null) return;
    await this.journal.record(async (tx) => {
      const job = await this.jobs.get(entry.id, tx);
      if (job?.status !== 'terminating' || job.exit_code === exitCode)
        return { result: undefined, events: [] };
      await this.jobs.updateActive(tx, entry.id, { exit_code: exitCode });
      const event = new JobTerminatingEvent({
        queue_id: entry.id,
        termination_reason: job.termination_reason,
        termination_requested_at: job.termination_requested_at,
        exit_code: exitCode,
      });
      return { result: undefined, events: [event] };
    });
  }

  /** running → terminating for a command that ended with processes left behind, with its exit code. */
  private async recordLeftovers(entry: ActiveJob, exitCode: number | null): Promise<void> {
    await this.journal.record(async (tx) => {
      const ok = await this.jobs.moveTo(tx, entry.id, 'terminating', { exit_code: exitCode });
      return {
        result: undefined,
        events: ok
          ? [
              new JobTerminatingEvent({
                queue_id: entry.id,
                termination_reason: null,
                termination_requested_at: null,
                exit_code: exitCode,
              }),
            ]
          : [],
      };
    });
  }

  /** terminating → queued for a preempted job whose last process is gone; its log carries on. */
  private async requeuePreempted(
    tx: Tx,
    id: string,
    exitCode: number | null,
    at: string,
  ): Promise<{ result: undefined; events: JobPreemptedEvent[] }> {
    const job = await this.jobs.get(id, tx);
    const event = new JobPreemptedEvent({
      queue_id: id,
      restart_count: (job?.restart_count ?? 0) + 1,
      preempted_at: at,
      // The stop stored "preempted by q_… (priority N)" as the job's error.
      error: `${job?.error ?? 'preempted'}; requeued`,
      exit_code: exitCode,
    });
    const ok = await this.jobs.requeuePreempted(tx, id, event);
    return { result: undefined, events: ok ? [event] : [] };
  }

  /**
   * After an end's commit, what only the running job used (its control directory, its secret files)
   * goes back to the launch spares (emptied) or is removed: in the next turn of the event loop, the
   * ends of that turn together (one listing of the secrets). A crash before that leaves them to the
   * next boot (JobReattacher).
   */
  private recycleSpentFiles(id: string): void {
    this.spent.push(id);
    this.spentFlush ??= setImmediate(() => this.recycleSpentNow());
  }

  private recycleSpentNow(): void {
    this.spentFlush = null;
    const ids = this.spent.splice(0);
    try {
      for (const id of ids) this.launchFiles.recycleDir(this.files.controlDir(id));
      for (const path of this.files.secretFilesOf(ids)) this.launchFiles.recycleSecret(path);
    } catch (err) {
      this.logger.warn(
        `could not remove the control directory or secret files of ${ids.join(', ')}: ${(err as Error).message}`,
      );
    }
  }

  private logFailure(id: string) {
    return (err: Error) => this.logger.error(`${id}: cleaning up after its command failed: ${err.message}`);
  }

  /**
   * Settles and commits the end once — or, for a preempted job, its return to the queue — retrying
   * the commit until it lands (the GPUs stay reserved meanwhile).
   */
  private async finish(entry: ActiveJob, launchError: string | null = null): Promise<void> {
    if (entry.settling || this.closed) return;
    entry.settling = true;
    const fromFile = readExitRecord(this.files.exitStatus(entry.id));
    const exitCode = fromFile?.code ?? (entry.mainExit === undefined ? null : entry.mainExit);
    const outcome = settle({
      requested: entry.request,
      exitCode,
      // Settled before the monitor could write the file (a full disk): what the launcher reported.
      bySignal: fromFile?.bySignal ?? entry.mainExitDetail?.bySignal,
      execError: fromFile ? fromFile.why : (entry.mainExitDetail?.why ?? null),
      launchError,
      foundAfterRestart: entry.endedWhileDown,
      killedAfterGrace: { processes: entry.killedAfterGrace, graceS: entry.graceMs / 1000 },
    });
    // E.g. a log that ends early says why: in the record (the log itself had no room for it).
    const error = [outcome.error, ...entry.endNotes].filter(Boolean).join('; ') || null;
    // Nobody watched an end that happened while the server was down: the exit file says when it was
    // (unless this server stopped what the command left behind: the job ended then).
    const endedAt = (
      (entry.endedWhileDown && entry.sent.size === 0 && exitFileTime(this.files.exitStatus(entry.id))) ||
      new Date()
    ).toISOString();
    const saved = await this.untilCommitted(`the end of ${entry.id}`, () =>
      this.journal.record(async (tx) => {
        if (outcome.status === 'queued') return this.requeuePreempted(tx, entry.id, exitCode, endedAt);
        const ok = await this.jobs.moveTo(tx, entry.id, outcome.status, {
          exit_code: exitCode,
          error,
          termination_reason: outcome.reason,
          ended_at: endedAt,
        });
        const event = new JobFinishedEvent({
          queue_id: entry.id,
          status: outcome.status,
          exit_code: exitCode,
          error,
          termination_reason: outcome.reason,
          ended_at: endedAt,
        });
        if (!ok) return { result: undefined, events: [] };
        const end = { queue_id: entry.id, status: outcome.status, ended_at: endedAt };
        return { result: undefined, events: [event, ...(await this.hooks.ended(tx, [end]))] };
      }),
    );
    if (!saved) return;
    // And in the log, where its user reads, now or once it has room (the record has it regardless).
    this.lateNotes.append(entry.id, entry.endNotes);
    this.processes.release(entry);
    if (outcome.status !== 'queued') this.recycleSpentFiles(entry.id);
    this.logger.log(
      `${entry.id} ${outcome.status === 'queued' ? 'queued again' : outcome.status} (${outcome.reason}${exitCode === null ? '' : `, exit ${exitCode}`})${error ? `: ${error}` : ''}`,
    );
    this.active.remove(entry);
  }
}

/** When the exit status was written, or null. */
function exitFileTime(path: string): Date | null {
  try {
    return statSync(path).mtime;
  } catch {
    return null;
  }
}

/** The job command's exit status as the monitor (or the older shim) recorded it, or null. */
export function readExitFile(path: string): number | null {
  return readExitRecord(path)?.code ?? null;
}

/**
 * The exit-status file: the status on its first line, then (optionally) why the command could not
 * be run at all, e.g. "command not found: trian.py". Null when absent or unreadable.
 */
export function readExitRecord(path: string): { code: number; bySignal: boolean; why: string | null } | null {
  try {
    const [first, ...rest] = readRegularFileSync(path).split('\n');
    // "137": it exited with 137; "signal 9": SIGKILL ended it (shell-style 137).
    const status = /^(?:(\d+)|signal (\d+))$/.exec(first.trim());
    if (!status) return null;
    const why = rest.join(' ').trim() || null;
    return status[1] !== undefined
      ? { code: Number(status[1]), bySignal: false, why }
      : { code: 128 + Number(status[2]), bySignal: true, why };
  } catch {
    return null;
  }
}

/** ` (its argv[0])` for process `pid`, or '' once it is gone. */
function describeProcess(pid: number): string {
  const command = readProcessCommand(pid);
  return command === null ? '' : ` (${command})`;
}
