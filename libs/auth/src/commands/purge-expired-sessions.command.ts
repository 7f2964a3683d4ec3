import { Command } from '@nestjs/cqrs';

/** Forgets sessions past their expiry, live and persisted; the result is how many rows were deleted. */
export class PurgeExpiredSessionsCommand extends Command<number> {
  constructor(readonly now = Date.now()) {
    super();
  }
}
