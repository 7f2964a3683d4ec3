import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { Credentials } from '../credentials';
import { LoginFailedEvent, PasswordSetEvent } from '../auth.events';
import { RevokeSessionsCommand } from './revoke-sessions.command';
import { SetPasswordCommand } from './set-password.command';

@CommandHandler(SetPasswordCommand)
export class SetPasswordHandler implements ICommandHandler<SetPasswordCommand, void> {
  constructor(
    private readonly credentials: Credentials,
    private readonly journal: Journal,
    private readonly commandBus: CommandBus,
  ) {}

  async execute({ newPassword, currentPassword, auth, clientAddress }: SetPasswordCommand): Promise<void> {
    // Under --no-auth nothing proves who asks (any local user can): a password set then would still
    // let them in once auth is back on, in place of the operator's.
    if (auth.method === 'none')
      throw new DomainError(
        'FORBIDDEN',
        'The console password cannot be set or changed while the server runs with --no-auth (no request proves who sends it); restart without --no-auth and use the bearer token',
      );
    const existing = this.credentials.password.isSet();
    // Someone at an unlocked browser must not be able to rotate the password with the cookie alone.
    const byToken = auth.method === 'bearer' || auth.method === 'bearer_query';
    if (existing && !byToken) {
      if (currentPassword === undefined) {
        throw new DomainError(
          'PASSWORD_CHANGE_NEEDS_REAUTH',
          'A password is already set: give current_password, or use the bearer token',
        );
      }
      // A password guess like a login's: same budget, same journal entry.
      const ok = await this.credentials.throttle.attempt(clientAddress, () =>
        this.credentials.password.verify(currentPassword),
      );
      if (!ok) {
        await this.journal.record(async () => ({
          result: null,
          events: [new LoginFailedEvent(clientAddress, 'current_password')],
        }));
        throw new DomainError('INVALID_CREDENTIALS', 'current_password is wrong', [
          { field: 'current_password', message: 'current_password is wrong' },
        ]);
      }
    }
    await this.credentials.password.set(newPassword);
    await this.journal.record(async () => ({ result: undefined, events: [new PasswordSetEvent(existing)] }));
    // Whoever knew the old password (or held a cookie) is signed out; the browser making the change stays.
    await this.commandBus.execute(new RevokeSessionsCommand('password_set', auth.sessionHash));
  }
}
