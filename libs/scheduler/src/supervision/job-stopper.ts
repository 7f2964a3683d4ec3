import { Inject, Injectable, Logger } from '@nestjs/common';
import { isProcessAlive, SERVER_CONFIG, ServerConfig, writePrivateFileInPlace } from '@trainyard/core';
import { statSync } from 'node:fs';
import { Journal } from '@trainyard/journal';
import {
  callTrainer,
  JobFiles,
  JobKillUnverifiedEvent,
  JobRepository,
  JobTerminatingEvent,
  KillDeadlines,
  killsAtOnce,
  readRegularFileSync,
  readTrainerEndpoint,
  StopResult,
  TerminationRequest,
} from '@trainyard/jobs';
import { ActiveJob, ActiveJobs, runsElsewhere, SIGKILL_SETTLE_MS } from './active-jobs';
import { JobProcesses } from './job-processes';

/** How long `stop` waits to report which processes are still there. */
const STOP_VERIFY_MS = SIGKILL_SETTLE_MS;
const VERIFY_POLL_MS = 50;
const STRENGTH: Record<TerminationRequest, number> = {
  trainer_stop: 0,
  preempted: 1,
  time_limit: 2,
  user_abort: 3,
  // Both SIGKILL at once: whichever came first stays the job's reason.
  user_kill: 4,
  bundle_rollback: 4,
};
/** setTimeout's longest delay (~24.8 days); a longer time limit re-arms until it is due. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The stop verb: persists why a job is being stopped, then signals every one of its processes —
 * SIGTERM first and SIGKILL after the job's grace period (user_abort), or SIGKILL at once
 * (user_kill, bundle_rollback); at a time limit, the trainer's save-stop when it listens (else SIGTERM), then SIGKILL
 * after the grace period; when preempted, likewise, with the server's --preempt-signal instead of
 * SIGTERM (a checkpoint request). The job stays `terminating`, its GPUs reserved, until its last process is gone;
 * the reaper then settles it from the persisted request, so a restart in between changes nothing.
 */
@Injectable()
export class JobStopper {
  private readonly logger = new Logger('Jobs');

  constructor(
    private readonly active: ActiveJobs,
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
    private readonly files: JobFiles,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly processes: JobProcesses,
    killDeadlines: KillDeadlines,
  ) {
    // The API shows it with the job (kill_at); it lives here, with the timer that sends it.
    killDeadlines.register((id) => this.active.get(id)?.killAt ?? null);
  }

  /**
   * Records `request` for an active job (a stronger request replaces a weaker one: trainer_stop <
   * preempted < time_limit < user_abort < user_kill = bundle_rollback), then, with `signal`, signals it. `note` is
   * stored as the job's `error` with the request (who preempted it). Returns the pids signalled and
   * those still alive after up to 2 s (none for a trainer asked to save-stop).
   */
  async stop(
    id: string,
    request: TerminationRequest,
    signal: boolean | 'trainer' = true,
    note?: string,
  ): Promise<StopResult> {
    const entry = this.active.get(id);
    // Another state directory's job is never signalled from here (a user's stop is refused first:
    // see TerminateJobHandler; a preemption or a GPU policy finds nothing to stop).
    if (!entry || runsElsewhere(entry)) return { pids: [], survivors: [] };
    // Already sent this way: nothing is sent again, nor is SIGKILL brought forward.
    const sent = signal && !killsAtOnce(request) && entry.sent.has(this.firstSignal(request));
    // Its command ended by itself and what it left behind is being stopped: the job ends as its
    // command did (a dependent job waiting for its success still runs); a kill changes nothing, and
    // a force-kill only hastens that cleanup, now and without becoming the job's reason.
    const leftovers = entry.request === null && entry.mainExit !== undefined;
    if (leftovers && sent) return this.stopping(entry);
    if (leftovers && killsAtOnce(request) && signal === true) return this.killLeftovers(entry, request);
    // Recorded even when its signal was sent already: a user's kill of a job being preempted (the
    // same SIGTERM) must still end it aborted, not requeue it.
    if (entry.request === null || STRENGTH[request] > STRENGTH[entry.request]) {
      const before = entry.request;
      entry.request = request;
      try {
        await this.persistRequest(id, request, note);
      } catch (err) {
        // Refused (a full disk): not the job's request, so a retry persists it before any signal.
        if (entry.request === request) entry.request = before;
        throw err;
      }
    }
    if (sent) return this.stopping(entry);
    if (!signal) return { pids: [], survivors: [] };
    if (signal === 'trainer') {
      // Asked to stop now: as with a save-stop at a time limit, SIGKILL after the grace period.
      this.markFirstStep(entry, 'trainer');
      this.armKill(entry);
      return { pids: [], survivors: [], ...this.killAt(entry) };
    }
    return this.firstStep(entry, request);
  }

  /**
   * At boot, for a job re-attached while `terminating`. When its stop's first step was taken (its
   * marker file says which, and when), it is not taken again — a second SIGTERM would restart a
   * save — and SIGKILL comes one grace period after it (at once when that has passed). When the
   * server stopped between persisting the request and that step, the step is taken now; for what a
   * command left behind, the reaper's poll starts the cleanup. A kill (force-kill, rollback) is simply repeated.
   */
  async resume(entry: ActiveJob): Promise<void> {
    if (entry.request === 'trainer_stop') return;
    if (killsAtOnce(entry.request)) {
      await this.signal(entry, 'SIGKILL');
      return;
    }
    const marker = readStopMarker(this.files.stopMarker(entry.id));
    if (marker) {
      if (marker.step !== 'trainer') entry.sent.add(marker.step as NodeJS.Signals);
      this.armKill(entry, marker.at + entry.graceMs);
    } else if (entry.request !== null) {
      this.logger.log(`${entry.id}: its ${entry.request} stop had not reached it; stopping it now`);
      await this.firstStep(entry, entry.request);
    }
  }

  /** A stop's first step: its trainer asked to save and stop (time limit, preemption), else its first signal. */
  private async firstStep(entry: ActiveJob, request: TerminationRequest): Promise<StopResult> {
    const checkpoint = request === 'time_limit' || request === 'preempted';
    const signal = this.firstSignal(request);
    if (checkpoint && (await this.askTrainerToSaveStop(entry, signal))) {
      this.markFirstStep(entry, 'trainer');
      this.armKill(entry);
      return { pids: [], survivors: [], ...this.killAt(entry) };
    }
    const result = await this.signal(entry, signal, true);
    // After a SIGKILL nothing is pending: an earlier kill's `kill_at` would say one still is.
    return signal === 'SIGKILL' ? result : { ...result, ...this.killAt(entry) };
  }

  /** Records that the stop's first step was taken (see JobFiles.stopMarker); once per attempt. */
  private markFirstStep(entry: ActiveJob, step: NodeJS.Signals | 'trainer'): void {
    if (entry.killTimer) return; // a step before this one armed the SIGKILL: it is the first
    try {
      writePrivateFileInPlace(this.files.stopMarker(entry.id), `${step}\n`);
    } catch (err) {
      // Then a restart takes the step again: a second SIGTERM, never a missing one.
      this.logger.warn(`${entry.id}: could not record its stop (${(err as Error).message})`);
    }
  }

  /** What a request sends first: SIGKILL, the preempt signal, or SIGTERM (also for what a command left behind). */
  private firstSignal(request: TerminationRequest | null): NodeJS.Signals {
    if (killsAtOnce(request)) return 'SIGKILL';
    return request === 'preempted' ? this.config.preempt_signal : 'SIGTERM';
  }

  /** A kill of what an ended command left running: SIGKILL now, said in the job's log; no request recorded. */
  private async killLeftovers(entry: ActiveJob, request: TerminationRequest): Promise<StopResult> {
    const result = await this.signal(entry, 'SIGKILL', true);
    if (result.pids.length) {
      const why =
        request === 'bundle_rollback'
          ? 'killed as its multi-node job was rolled back'
          : 'force-killed on request';
      this.files.noteInLogOrWarn(
        entry.id,
        `${why} what the command left running: pid ${result.pids.join(', ')}`,
        'the force-kill',
      );
    }
    return result;
  }

  /** A repeated stop: sends nothing; says what is still running and when SIGKILL follows. */
  private stopping(entry: ActiveJob): StopResult {
    return { pids: [], survivors: this.processes.workers(entry), repeated: true, ...this.killAt(entry) };
  }

  private killAt(entry: ActiveJob): Pick<StopResult, 'kill_at'> {
    return entry.killAt === null ? {} : { kill_at: new Date(entry.killAt).toISOString() };
  }

  /**
   * Arms the job's time limit (`entry.deadline`): when it is due the job is stopped for `time_limit`.
   * Called when a job is launched or re-attached; a deadline already past stops it at once.
   */
  armTimeLimit(entry: ActiveJob): void {
    if (entry.deadline === null || entry.limitTimer) return;
    const wait = Math.min(Math.max(0, entry.deadline - Date.now()), MAX_TIMER_MS);
    entry.limitTimer = setTimeout(() => {
      entry.limitTimer = null;
      if (!this.active.isCurrent(entry) || entry.deadline === null) return;
      if (entry.deadline > Date.now()) return this.armTimeLimit(entry);
      this.logger.log(`${entry.id}: time limit reached`);
      this.stop(entry.id, 'time_limit').catch((err: Error) =>
        this.logger.error(`${entry.id}: stop at the time limit failed: ${err.message}`),
      );
    }, wait);
    entry.limitTimer.unref();
  }

  /**
   * save-stop over the trainer's control endpoint; false when it has none or does not answer. A
   * trainer that published an endpoint and did not take the request is said in the job's log too:
   * its owner learns there why no checkpoint was saved, and that `fallback` was sent instead.
   */
  private async askTrainerToSaveStop(entry: ActiveJob, fallback: NodeJS.Signals): Promise<boolean> {
    const controlDir = this.files.controlDir(entry.id);
    if (entry.monitorPid === 0 || !readTrainerEndpoint(controlDir)) return false;
    try {
      await callTrainer(controlDir, 'POST', '/control', { action: 'save-stop' });
      this.logger.log(`${entry.id}: asked its trainer to save and stop`);
      return true;
    } catch (err) {
      const why = `its trainer did not take the save-stop (${(err as Error).message}); sending ${fallback}`;
      this.logger.warn(`${entry.id}: ${why}`);
      this.files.noteInLogOrWarn(entry.id, why, 'the failed save-stop');
      return false;
    }
  }

  /**
   * Signals the job's processes (not its monitor, which ends by itself once they are gone) and,
   * for any signal but SIGKILL, arms SIGKILL after the grace period. With `verify`, waits up to 2 s
   * for them to go (a job asked to checkpoint may well take longer: then it is reported as surviving).
   */
  async signal(entry: ActiveJob, signal: NodeJS.Signals, verify = false): Promise<StopResult> {
    // Its processes are found by the job's id: a previous attempt's entry must not signal the next.
    if (!this.active.isCurrent(entry)) return { pids: [], survivors: [] };
    if (entry.monitorPid === 0 && entry.watch === 'launcher') {
      // Still starting: the launcher signals it with the persisted request as soon as it runs.
      return { pids: [], survivors: [] };
    }
    const pids = this.processes.signal(entry, signal);
    if (signal === 'SIGKILL') {
      entry.killSentAt ??= Date.now();
    } else {
      this.markFirstStep(entry, signal);
      entry.sent.add(signal);
      this.armKill(entry);
    }
    return { pids, survivors: verify ? await this.stillAlive(pids) : [] };
  }

  /** Those of `pids` still alive after up to 2 s. */
  private async stillAlive(pids: number[]): Promise<number[]> {
    const deadline = performance.now() + STOP_VERIFY_MS;
    let survivors = pids;
    while (survivors.length > 0 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, VERIFY_POLL_MS));
      survivors = survivors.filter((pid) => isProcessAlive(pid));
    }
    return survivors;
  }

  /** SIGKILL at `at` (epoch ms; default: after the job's grace period from now), unless already armed. */
  private armKill(entry: ActiveJob, at = Date.now() + entry.graceMs): void {
    if (entry.killTimer || !this.active.isCurrent(entry)) return;
    entry.killAt = at;
    entry.killTimer = setTimeout(
      () => {
        this.escalate(entry).catch((err: Error) =>
          this.logger.error(`${entry.id}: SIGKILL after grace failed: ${err.message}`),
        );
      },
      Math.max(0, at - Date.now()),
    );
    entry.killTimer.unref();
  }

  /** The grace period is over: SIGKILL whatever is left; name what survives even that. */
  private async escalate(entry: ActiveJob): Promise<void> {
    entry.killTimer = null;
    entry.killAt = null;
    if (!this.active.isCurrent(entry)) return;
    const { pids } = await this.signal(entry, 'SIGKILL');
    // Counted before waiting: the job may be settled (with this count) while survivors are checked.
    entry.killedAfterGrace += pids.length;
    if (pids.length) {
      this.logger.warn(
        `${entry.id}: SIGKILL after the ${entry.graceMs / 1000} s grace period to pid ${pids.join(', ')}`,
      );
      this.files.noteInLogOrWarn(
        entry.id,
        `still running after the ${entry.graceMs / 1000} s grace period: SIGKILL to pid ${pids.join(', ')}`,
        'the SIGKILL',
      );
    }
    const survivors = await this.stillAlive(pids);
    if (survivors.length > 0 && this.active.isCurrent(entry)) {
      const message = `${survivors.length} process(es) survive SIGKILL (pids ${survivors.join(', ')}); GPUs stay reserved until they are gone`;
      await this.journal.record(async (tx) => {
        const ok = await this.jobs.updateActive(tx, entry.id, { error: message });
        const event = new JobKillUnverifiedEvent({
          queue_id: entry.id,
          signal: 'SIGKILL',
          survivor_pids: survivors,
          error: message,
        });
        return { result: undefined, events: ok ? [event] : [] };
      });
    }
  }

  private async persistRequest(id: string, request: TerminationRequest, note?: string): Promise<void> {
    const at = new Date().toISOString();
    await this.journal.record(async (tx) => {
      // The note rides on the job row only (a replica learns it from job.preempted.v1).
      const changes = {
        termination_reason: request,
        termination_requested_at: at,
        ...(note === undefined ? {} : { error: note }),
      };
      const moved =
        (await this.jobs.moveTo(tx, id, 'terminating', changes)) ||
        (await this.jobs.updateActive(tx, id, changes));
      const event = new JobTerminatingEvent({
        queue_id: id,
        termination_reason: request,
        termination_requested_at: at,
      });
      return { result: undefined, events: moved ? [event] : [] };
    });
    this.logger.log(`${id}: ${request} requested`);
  }
}

/** The stop marker's step and when it was taken (epoch ms), or null when there is none. */
function readStopMarker(path: string): { step: string; at: number } | null {
  try {
    return { step: readRegularFileSync(path).trim(), at: statSync(path).mtimeMs };
  } catch {
    return null;
  }
}
