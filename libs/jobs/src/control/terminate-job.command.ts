import { Command } from '@nestjs/cqrs';
import type { TerminationRequest } from '../job-lifecycle';

/** What a stop request did right away. */
export interface StopResult {
  /** Processes signalled. */
  pids: number[];
  /** Still alive 2 s later (SIGKILL follows after the job's grace period). */
  survivors: number[];
}

/**
 * Ends an active job for `request` (handled by the scheduler, which supervises jobs): the request
 * is persisted as the job's termination reason before any signal is sent. user_abort: SIGTERM,
 * then SIGKILL after the grace period; user_kill: SIGKILL. With `signal` false (a trainer was
 * asked to stop) the request is only recorded.
 */
export class TerminateJobCommand extends Command<StopResult> {
  constructor(
    readonly queueId: string,
    readonly request: TerminationRequest,
    readonly signal = request !== 'trainer_stop',
  ) {
    super();
  }
}
