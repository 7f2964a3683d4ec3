import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { Credentials } from '../credentials';
import { SessionRepository } from '../infrastructure/session.repository';
import { LoginFailedEvent, SessionStartedEvent } from '../auth.events';
import { LoginCommand, LoginResult } from './login.command';

@CommandHandler(LoginCommand)
export class LoginHandler implements ICommandHandler<LoginCommand, LoginResult> {
  constructor(
    private readonly credentials: Credentials,
    private readonly sessions: SessionRepository,
    private readonly journal: Journal,
  ) {}

  async execute({ token, password, clientAddress }: LoginCommand): Promise<LoginResult> {
    if ((token === undefined) === (password === undefined)) {
      throw new DomainError('VALIDATION_FAILED', 'Give exactly one of token or password', [
        { field: 'token', message: 'token or password is required (not both)' },
        { field: 'password', message: 'token or password is required (not both)' },
      ]);
    }
    const { throttle } = this.credentials;
    let ok: boolean;
    if (token !== undefined) {
      // The bearer token, or a one-shot URL token (a link from POST /api/auth/url-token): long random
      // secrets checked in constant time, so a right one is never refused, however many guesses others
      // made; a wrong one is a guess like any other (counted, or 429 once the budget is spent).
      ok =
        this.credentials.token.matches(token) ||
        (token.startsWith('ut_') && this.credentials.urlTokens.consume(token));
      if (ok) throttle.recordSuccess(clientAddress);
      else throttle.recordFailure(clientAddress);
    } else {
      ok = await throttle.attempt(clientAddress, () => this.credentials.password.verify(password!));
    }
    if (!ok) {
      await this.journal.record(async () => ({
        result: null,
        events: [new LoginFailedEvent(clientAddress, token !== undefined ? 'token' : 'password')],
      }));
      throw new DomainError(
        'INVALID_CREDENTIALS',
        token !== undefined ? 'Invalid token' : 'Invalid password',
      );
    }
    const { id, session } = this.credentials.newSession();
    return this.journal.record(async (tx) => {
      if (this.credentials.persistSessions) await this.sessions.insert(tx, session);
      return {
        result: {
          sessionId: id,
          expiresAt: session.expiresAt,
          requiresPasswordSetup: token !== undefined && !this.credentials.password.isSet(),
        },
        events: [
          new SessionStartedEvent(
            token !== undefined ? 'token' : 'password',
            clientAddress,
            new Date(session.expiresAt).toISOString(),
          ),
        ],
      };
    });
  }
}
