import { ApiProperty } from '@nestjs/swagger';
import { JournalEntryType, type JournaledEvent } from '@trainyard/journal';

// Audit records: they change no replicated row. Sessions and the password are credentials of the
// node that issued them (the `sessions` table holds hashes of live cookies, the password hash lives in
// a 0600 file); the journal is readable by every API client, so neither goes into it.

const AUDIT = 'An audit record: it changes no replicated row.';

@JournalEntryType('auth.session_started.v1', `someone logged in and got a browser session. ${AUDIT}`)
export class SessionStartedEvent implements JournaledEvent {
  @ApiProperty({ enum: ['token', 'password'] })
  readonly via: 'token' | 'password';
  /** The client's address as the server saw it. */
  readonly client_address: string;
  /** ISO 8601 expiry of the session. */
  readonly expires_at: string;

  constructor(via: 'token' | 'password', clientAddress: string, expiresAt: string) {
    this.via = via;
    this.client_address = clientAddress;
    this.expires_at = expiresAt;
  }
}

@JournalEntryType('auth.session_ended.v1', `a browser session ended. ${AUDIT}`)
export class SessionEndedEvent implements JournaledEvent {
  @ApiProperty({ enum: ['logout'] })
  readonly reason: 'logout';

  constructor(reason: 'logout') {
    this.reason = reason;
  }
}

@JournalEntryType('auth.password_set.v1', `the console password was set or changed. ${AUDIT}`)
export class PasswordSetEvent implements JournaledEvent {
  /** True when it replaced an existing password. */
  readonly replaced_existing: boolean;

  constructor(replacedExisting: boolean) {
    this.replaced_existing = replacedExisting;
  }
}

@JournalEntryType('auth.login_failed.v1', `a login was refused (wrong token or password). ${AUDIT}`)
export class LoginFailedEvent implements JournaledEvent {
  /** The client's address as the server saw it. */
  readonly client_address: string;
  /** What was wrong: a login's token or password, or set-password's current_password. */
  @ApiProperty({ enum: ['token', 'password', 'current_password'] })
  readonly via: 'token' | 'password' | 'current_password';

  constructor(clientAddress: string, via: 'token' | 'password' | 'current_password') {
    this.client_address = clientAddress;
    this.via = via;
  }
}

@JournalEntryType(
  'auth.sessions_revoked.v1',
  `sessions ended at once: sign out everywhere, a password change, or a new bearer token at boot. ${AUDIT}`,
)
export class SessionsRevokedEvent implements JournaledEvent {
  @ApiProperty({ enum: ['logout_all', 'password_set', 'token_regenerated'] })
  readonly reason: 'logout_all' | 'password_set' | 'token_regenerated';
  /** How many sessions ended. */
  readonly revoked: number;

  constructor(reason: 'logout_all' | 'password_set' | 'token_regenerated', revoked: number) {
    this.reason = reason;
    this.revoked = revoked;
  }
}
