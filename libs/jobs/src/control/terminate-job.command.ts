import { Command } from '@nestjs/cqrs';
import type { TerminationRequest } from '../job-lifecycle';

/** What a stop request did right away. */
export interface StopResult {
  /** Processes signalled. */
  pids: number[];
  /** Still alive 2 s later (SIGKILL follows after the job's grace period). */
  survivors: number[];
  /**
   * True when the job had been sent this stop's signal already: nothing is sent again (a second
   * SIGTERM would restart a trainer's checkpoint save); `survivors` are its processes still running.
   */
  repeated?: boolean;
  /** When SIGKILL follows for whatever is still running (ISO 8601), when one is pending. */
  kill_at?: string;
}

/**
 * Ends an active job for `request` (handled by the scheduler, which supervises jobs): the request
 * is persisted as the job's termination reason before any signal is sent. user_abort: SIGTERM,
 * then SIGKILL after the grace period; user_kill: SIGKILL. A signal the job was sent already is not
 * sent again (see {@link StopResult.repeated}). `signal`: false records the request only (before a
 * trainer is asked, or after it took a `stop`, which may save for as long as it needs); `'trainer'`
 * says its trainer has just been asked to stop now (`abort`): that counts as the stop's first step,
 * and SIGKILL follows after the grace period for whatever is still running then.
 */
export class TerminateJobCommand extends Command<StopResult> {
  constructor(
    readonly queueId: string,
    readonly request: TerminationRequest,
    readonly signal: boolean | 'trainer' = request !== 'trainer_stop',
  ) {
    super();
  }
}
