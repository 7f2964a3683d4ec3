import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Journal } from '@trainyard/journal';
import { Credentials } from '../credentials';
import { SessionRepository } from '../infrastructure/session.repository';
import { SessionEndedEvent } from '../auth.events';
import { LogoutCommand } from './logout.command';

@CommandHandler(LogoutCommand)
export class LogoutHandler implements ICommandHandler<LogoutCommand, void> {
  constructor(
    private readonly credentials: Credentials,
    private readonly sessions: SessionRepository,
    private readonly journal: Journal,
  ) {}

  async execute({ sessionHash }: LogoutCommand): Promise<void> {
    if (!sessionHash) return;
    this.credentials.dropSession(sessionHash);
    await this.journal.record(async (tx) => {
      if (this.credentials.persistSessions) await this.sessions.delete(tx, sessionHash);
      return { result: undefined, events: [new SessionEndedEvent('logout')] };
    });
  }
}
