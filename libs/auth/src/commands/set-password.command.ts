import { Command } from '@nestjs/cqrs';
import type { AuthContext } from '../credentials';

export class SetPasswordCommand extends Command<void> {
  constructor(
    readonly newPassword: string,
    readonly currentPassword: string | undefined,
    readonly auth: AuthContext,
    /** The request's source address: current_password guesses share the login throttle. */
    readonly clientAddress: string,
  ) {
    super();
  }
}
