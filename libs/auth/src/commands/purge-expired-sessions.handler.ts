import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Journal } from '@trainyard/journal';
import { Credentials } from '../credentials';
import { SessionRepository } from '../infrastructure/session.repository';
import { PurgeExpiredSessionsCommand } from './purge-expired-sessions.command';
import { SignedOutSockets } from '../signed-out-sockets';

@CommandHandler(PurgeExpiredSessionsCommand)
export class PurgeExpiredSessionsHandler implements ICommandHandler<PurgeExpiredSessionsCommand, number> {
  constructor(
    private readonly credentials: Credentials,
    private readonly sessions: SessionRepository,
    private readonly journal: Journal,
    private readonly sockets: SignedOutSockets,
  ) {}

  /** Housekeeping, not a decision anyone made: no journal entry. */
  async execute({ now }: PurgeExpiredSessionsCommand): Promise<number> {
    this.credentials.dropExpiredSessions(now);
    this.sockets.closeRevoked(); // what expired sessions had open
    return this.journal.record(async (tx) => ({
      result: await this.sessions.deleteExpired(tx, now),
      events: [],
    }));
  }
}
