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

/** A wrong credential: a login's token or password, or set-password's current_password. */
export class LoginFailedEvent implements JournaledEvent {
  readonly type = 'auth.login_failed';
  constructor(
    readonly client_address: string,
    readonly via: 'token' | 'password' | 'current_password',
  ) {}
}

/** Sessions ended at once: by "sign out everywhere", a password change, or a new bearer token at boot. */
export class SessionsRevokedEvent implements JournaledEvent {
  readonly type = 'auth.sessions_revoked';
  constructor(
    readonly reason: 'logout_all' | 'password_set' | 'token_regenerated',
    readonly revoked: number,
  ) {}
}
