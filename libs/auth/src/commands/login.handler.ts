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
    const waitMs = this.credentials.throttle.retryAfterMs(clientAddress);
    if (waitMs > 0) {
      throw new DomainError(
        'TOO_MANY_LOGIN_ATTEMPTS',
        `Too many failed logins from ${clientAddress}; try again in ${Math.ceil(waitMs / 1000)} s`,
        { retry_after_seconds: Math.ceil(waitMs / 1000) },
      );
    }
    // The bearer token, or a one-shot URL token (a link from POST /api/auth/url-token), or the password.
    const ok =
      token !== undefined
        ? this.credentials.token.matches(token) ||
          (token.startsWith('ut_') && this.credentials.urlTokens.consume(token))
        : await this.credentials.password.verify(password!);
    if (!ok) {
      this.credentials.throttle.recordFailure(clientAddress);
      await this.journal.record(async () => ({
        result: null,
        events: [new LoginFailedEvent(clientAddress)],
      }));
      throw new DomainError(
        'INVALID_CREDENTIALS',
        token !== undefined ? 'Invalid token' : 'Invalid password',
      );
    }
    this.credentials.throttle.recordSuccess(clientAddress);
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
