import { Command } from '@nestjs/cqrs';

export interface LoginResult {
  sessionId: string;
  expiresAt: number;
  requiresPasswordSetup: boolean;
}

export class LoginCommand extends Command<LoginResult> {
  constructor(
    readonly token: string | undefined,
    readonly password: string | undefined,
    readonly clientAddress: string,
  ) {
    super();
  }
}
