import { Command } from '@nestjs/cqrs';

/** Stops a launched job's processes (handled by the scheduler, which supervises them). */
export interface StopResult {
  /** Processes signalled. */
  pids: number[];
  /** Still alive 2 s later. */
  survivors: number[];
}

export class AbortJobCommand extends Command<StopResult> {
  constructor(
    readonly queueId: string,
    readonly signal: 'SIGTERM' | 'SIGKILL',
    readonly reason: string,
  ) {
    super();
  }
}
