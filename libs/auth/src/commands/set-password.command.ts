import { Command } from '@nestjs/cqrs';
import type { AuthContext } from '../credentials';

export class SetPasswordCommand extends Command<void> {
  constructor(
    readonly newPassword: string,
    readonly currentPassword: string | undefined,
    readonly auth: AuthContext,
  ) {
    super();
  }
}
