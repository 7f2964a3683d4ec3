import type { JournaledEvent } from '@trainyard/journal';

export class SessionStartedEvent implements JournaledEvent {
  readonly type = 'auth.session_started';
  constructor(
    readonly via: 'token' | 'password',
    readonly client_address: string,
    readonly expires_at: string,
  ) {}
}

export class SessionEndedEvent implements JournaledEvent {
  readonly type = 'auth.session_ended';
  constructor(readonly reason: 'logout') {}
}

export class PasswordSetEvent implements JournaledEvent {
  readonly type = 'auth.password_set';
  constructor(readonly replaced_existing: boolean) {}
}

export class LoginFailedEvent implements JournaledEvent {
  readonly type = 'auth.login_failed';
  constructor(readonly client_address: string) {}
}
