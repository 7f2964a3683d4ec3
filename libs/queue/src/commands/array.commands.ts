import { Command } from '@nestjs/cqrs';

/** What an array's cancel did to each of its jobs (ids). */
export interface CancelArrayResult {
  /** Removed: none (an array's queued jobs end `aborted`); kept for the API's shape. */
  removed: string[];
  /** Queued: ended `aborted` (user_abort), record kept, counted by the array, retried by its retry. */
  aborted: string[];
  /** Active: asked to stop (user_abort). */
  aborting: string[];
}

/** Cancels the array's queued jobs (see cancelQueued) and stops its active ones (user_abort). */
export class CancelArrayCommand extends Command<CancelArrayResult> {
  constructor(readonly arrayId: string) {
    super();
  }
}

/** A new array of copies of the failed and aborted jobs; resolves with its id. */
export class RetryArrayCommand extends Command<string> {
  constructor(readonly arrayId: string) {
    super();
  }
}
