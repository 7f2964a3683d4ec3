import { Command } from '@nestjs/cqrs';
import type { SessionsRevokedEvent } from '../auth.events';

/** Ends every browser session but `keepHash` (sha256 of a session id); the result is how many ended. */
export class RevokeSessionsCommand extends Command<number> {
  constructor(
    readonly reason: SessionsRevokedEvent['reason'],
    readonly keepHash?: string,
  ) {
    super();
  }
}
