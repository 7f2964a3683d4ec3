/**
 * The job lifecycle in one place: the states a job can be in, the moves between them, why a job
 * ended, and the pure function that settles a job from the evidence it left.
 *
 *   queued ──claim──▶ starting ──spawned──▶ running ──▶ terminating ──every process gone──▶ done
 *     ▲  │               │ never launched (crash before the launch)
 *     │  └─ a dependency can no longer be met ─▶ aborted (dependency_failed)
 *     │                  │                     │             ▲                              failed
 *     cancel: the        └─ launch failed ─────┴─────────────┘ (stop requested, or the main  aborted
 *     row is removed (one that ran before: aborted)            process exited while others remain)
 *     └───────────── preempted: terminating ──every process gone──▶ queued again (restart_count + 1)
 *
 * Status and termination reason are stored apart (as dstack's JobStatus / JobTerminationReason and
 * pueue's TaskStatus / TaskResult do): the status says where the job is, the reason says why it
 * ended. A stop request is persisted as the reason *before* any signal is sent, so the outcome
 * survives a server restart between the request and the job's exit.
 */
import { constants as osConstants } from 'node:os';

export const JOB_STATUSES = [
  'queued',
  'starting',
  'running',
  'terminating',
  'done',
  'failed',
  'aborted',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A job in these states has (or may have) processes and holds its GPUs. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['starting', 'running', 'terminating'];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['done', 'failed', 'aborted'];
export type TerminalStatus = 'done' | 'failed' | 'aborted';
/** Not finished yet: waiting or active. */
export const UNFINISHED_STATUSES: readonly JobStatus[] = ['queued', ...ACTIVE_STATUSES];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function isActive(status: JobStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

/** Every allowed move; anything else is refused (the repository's compare-and-set uses this). */
export const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  // queued → aborted: a dependency can no longer be met (dependency_failed), or a job queued again
  // after running (preempted) is cancelled (user_abort).
  queued: ['starting', 'aborted'],
  // starting → queued: a claim whose launch provably never happened (see JobReaper).
  starting: ['queued', 'running', 'terminating', 'done', 'failed', 'aborted'],
  running: ['terminating', 'done', 'failed', 'aborted'],
  // terminating → queued: a preempted job, once its last process is gone, waits for its next attempt.
  terminating: ['queued', 'done', 'failed', 'aborted'],
  done: [],
  failed: [],
  aborted: [],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The states from which `to` may be entered (for compare-and-set updates). */
export function sourcesOf(to: JobStatus): JobStatus[] {
  return JOB_STATUSES.filter((from) => canTransition(from, to));
}

/**
 * Why a job ended (or is ending). The first group are requests, persisted before any signal is
 * sent; the second are what the evidence says when nobody asked.
 */
export const TERMINATION_REASONS = [
  /** kill / abort: SIGTERM to every process of the job, SIGKILL after the grace period. */
  'user_abort',
  /** force-kill: SIGKILL to every process at once. */
  'user_kill',
  /** stop / save-stop asked of the job's trainer over its control endpoint. */
  'trainer_stop',
  /**
   * Its time limit ran out: save-stop asked of its trainer when it listens, else SIGTERM; SIGKILL
   * after the grace period either way.
   */
  'time_limit',
  /**
   * A higher-priority job needed its GPUs (it was submitted preemptible): checkpoint asked of it
   * (trainer save-stop when it listens, else the preempt signal), SIGKILL after the grace period;
   * then it is queued again, not ended.
   */
  'preempted',
  /**
   * A rank of a multi-node job whose bundle was rolled back (not every rank could start; the master
   * stops the ranks started on other nodes): SIGKILL to every process at once, as a force-kill.
   */
  'bundle_rollback',
  /** The job's command exited 0. */
  'completed',
  /** The job's command exited non-zero or was killed by a signal nobody here sent. */
  'exited_nonzero',
  /** The job could not be started (wrapper failed to spawn, working directory gone, …). */
  'launch_failed',
  /** The job was gone when the server came back and left no exit status. */
  'lost_on_restart',
  /** A dependency (depends_on) can no longer be met; the job never started. */
  'dependency_failed',
] as const;
export type TerminationReason = (typeof TERMINATION_REASONS)[number];

/** Reasons that are requests (someone asked the job to end), as opposed to observations. */
export const TERMINATION_REQUESTS = [
  'user_abort',
  'user_kill',
  'trainer_stop',
  'time_limit',
  'preempted',
  'bundle_rollback',
] as const;
export type TerminationRequest = (typeof TERMINATION_REQUESTS)[number];

export function isTerminationRequest(reason: string | null): reason is TerminationRequest {
  return (TERMINATION_REQUESTS as readonly string[]).includes(reason ?? '');
}

/** Requests whose first (and only) signal is SIGKILL, with no grace period: force-kill and a rollback's kill. */
export function killsAtOnce(request: string | null): boolean {
  return request === 'user_kill' || request === 'bundle_rollback';
}

/** What is known when a job's last process is gone. */
export interface JobEndEvidence {
  /** The persisted termination request, if any. */
  requested: TerminationRequest | null;
  /** The job command's exit status (from the exit-status file; 128+N for signal N), or null. */
  exitCode: number | null;
  /**
   * Whether a signal ended the command (true) or it exited with `exitCode` itself (false), as the
   * monitor recorded it; absent when not known (a status from elsewhere): 129–159 then read as signals.
   */
  bySignal?: boolean;
  /** Why the launch failed, when it did. */
  launchError: string | null;
  /**
   * Why the command could not be run once its process existed ("command not found: NAME"), as the
   * launcher recorded it in the exit-status file; null when it ran (or for older files).
   */
  execError?: string | null;
  /** True when the end was found after a server restart rather than watched. */
  foundAfterRestart: boolean;
  /** Processes still running when the grace period ran out, which got SIGKILL (0 or absent: none). */
  killedAfterGrace?: { processes: number; graceS: number };
}

export interface JobOutcome {
  /** `queued`: not an end — a preempted job goes back to the queue for its next attempt. */
  status: 'done' | 'failed' | 'aborted' | 'queued';
  reason: TerminationReason;
  /** A sentence for the job's `error` field, or null when there is nothing to explain. */
  error: string | null;
}

/**
 * Settles a job. Pure: (persisted request, exit status, launch error, restart) → outcome.
 * - a failed launch is `failed / launch_failed` whatever else is known;
 * - user_abort / user_kill end `aborted`, whatever the exit status (the user asked for it); so does
 *   bundle_rollback (the cluster stopped a rank whose multi-node job could not start);
 * - time_limit ends `aborted` too, whatever the exit status (it did not finish in its time, as
 *   Slurm's TIMEOUT: a trainer that saved on the way out still did not complete);
 * - preempted is not an end: `queued` again whatever the exit status (it was asked to checkpoint);
 * - trainer_stop ends `done` when the job then exits 0, else `failed` (the save did not complete);
 * - otherwise exit 0 is `done`, any other status `failed`, and no status at all `failed /
 *   lost_on_restart` (after a restart) or `failed / exited_nonzero` (watched, but no status file);
 * - processes SIGKILLed when the grace period ran out are counted in `error`, whatever the outcome.
 */
export function settle(evidence: JobEndEvidence): JobOutcome {
  const outcome = outcomeOf(evidence);
  const killed = evidence.killedAfterGrace;
  if (!killed?.processes || outcome.status === 'queued') return outcome;
  // Worth knowing whatever the outcome: the job (or what it left behind) did not stop in its grace period.
  const note = `${killed.processes} process${killed.processes === 1 ? '' : 'es'} still running after the ${killed.graceS} s grace period got SIGKILL`;
  return { ...outcome, error: outcome.error ? `${outcome.error}; ${note}` : note };
}

function outcomeOf(evidence: JobEndEvidence): JobOutcome {
  const { requested, exitCode, launchError, execError, foundAfterRestart } = evidence;
  const describe = (code: number) => describeExit(code, evidence.bySignal);
  const later = foundAfterRestart ? ' (ended while the server was down)' : '';
  if (launchError !== null) return { status: 'failed', reason: 'launch_failed', error: launchError };
  switch (requested) {
    case 'user_abort':
    case 'user_kill':
      return {
        status: 'aborted',
        reason: requested,
        error: `${requested === 'user_kill' ? 'force-killed' : 'aborted'} on request${exitCode === null ? '' : `; ${describe(exitCode)}`}`,
      };
    case 'bundle_rollback':
      return {
        status: 'aborted',
        reason: 'bundle_rollback',
        error: `killed: its multi-node job was rolled back (not every rank could start)${exitCode === null ? '' : `; ${describe(exitCode)}`}`,
      };
    case 'time_limit':
      return {
        status: 'aborted',
        reason: 'time_limit',
        error: `stopped at its time limit${exitCode === null ? '' : `; ${describe(exitCode)}`}`,
      };
    case 'preempted':
      return { status: 'queued', reason: 'preempted', error: null };
    case 'trainer_stop':
      return exitCode === 0
        ? { status: 'done', reason: 'trainer_stop', error: null }
        : {
            status: 'failed',
            reason: 'trainer_stop',
            error: `asked to stop by its trainer, then ${exitCode === null ? 'left no exit status' : describe(exitCode)}${later}`,
          };
    case null:
      break;
  }
  if (exitCode === 0) return { status: 'done', reason: 'completed', error: null };
  if (exitCode !== null)
    return {
      status: 'failed',
      reason: 'exited_nonzero',
      error: (execError ?? describe(exitCode)) + later,
    };
  return foundAfterRestart
    ? {
        status: 'failed',
        reason: 'lost_on_restart',
        error: 'the job was no longer running when the server restarted, and left no exit status',
      }
    : { status: 'failed', reason: 'exited_nonzero', error: 'the job ended without an exit status' };
}

/** Signal number → name on this host (SIGABRT, not its alias SIGIOT: the first name Node lists). */
const SIGNAL_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(osConstants.signals)
    .reverse()
    .map(([name, number]) => [number, name]),
);

/**
 * "exited with code 3" / "killed by signal 9 (SIGKILL)", for a shell-style exit status (128+N for
 * signal N). `bySignal` says which it was when known; unknown, 129–159 are read as signals (as a
 * shell's `$?` would be).
 */
export function describeExit(code: number, bySignal?: boolean): string {
  if (bySignal ?? (code > 128 && code < 160)) {
    const name = SIGNAL_NAMES.get(code - 128);
    return `killed by signal ${code - 128}${name ? ` (${name})` : ''}`;
  }
  // What a shell (and the launcher) answer when the command cannot be run at all.
  if (code === 127) return 'exited with code 127 (command not found)';
  if (code === 126) return 'exited with code 126 (command not executable)';
  return `exited with code ${code}`;
}
