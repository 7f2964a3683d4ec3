import { Command } from '@nestjs/cqrs';

/** Removes the array's queued jobs and stops its active ones (user_abort). */
export class CancelArrayCommand extends Command<{ removed: string[]; aborting: string[] }> {
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
