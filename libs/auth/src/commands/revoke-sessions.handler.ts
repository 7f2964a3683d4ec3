import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Journal } from '@trainyard/journal';
import { Credentials } from '../credentials';
import { SessionRepository } from '../infrastructure/session.repository';
import { SessionsRevokedEvent } from '../auth.events';
import { RevokeSessionsCommand } from './revoke-sessions.command';

@CommandHandler(RevokeSessionsCommand)
export class RevokeSessionsHandler implements ICommandHandler<RevokeSessionsCommand, number> {
  constructor(
    private readonly credentials: Credentials,
    private readonly sessions: SessionRepository,
    private readonly journal: Journal,
  ) {}

  async execute({ reason, keepHash }: RevokeSessionsCommand): Promise<number> {
    const revoked = this.credentials.dropSessionsExcept(keepHash);
    return this.journal.record(async (tx) => {
      // Rows go even without --persist-sessions: a later run with it must not bring them back.
      await this.sessions.deleteAllExcept(tx, keepHash);
      // Nothing ended (a first password, set before any sign-in): nothing to say in the journal.
      return { result: revoked, events: revoked ? [new SessionsRevokedEvent(reason, revoked)] : [] };
    });
  }
}
