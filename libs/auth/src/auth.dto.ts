import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { MIN_PASSWORD_LENGTH } from './password-store';

export class LoginRequestDto {
  /** The bearer token (from the token file or the startup URL). Give this or `password`. */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  token?: string;

  /** The browser password, once one is set. Give this or `token`. */
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password?: string;
}

export class LoginResponseDto {
  authenticated!: boolean;
  /** True after a token login while no password exists yet: the console asks the user to set one. */
  requires_password_setup!: boolean;
  /** When the session cookie expires (ISO 8601). */
  expires_at!: string;
}

export class AuthStatusDto {
  /** False when the server runs with --no-auth. */
  auth_required!: boolean;
  /** Whether this request carried valid credentials. */
  authenticated!: boolean;
  /** How this request authenticated: bearer, cookie, bearer_query, url_token, none; null when it did not. */
  method!: string | null;
  /** Whether a browser password has been set. */
  password_set!: boolean;
  /** True when authenticated and no password exists yet. */
  requires_password_setup!: boolean;
  /** Whether browser sessions survive a server restart (`--persist-sessions`). */
  sessions_persist!: boolean;
}

export class SetPasswordRequestDto {
  /** The new password, at least 8 characters. */
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH)
  @MaxLength(1024)
  new_password!: string;

  /** Required to change an existing password unless the request uses the bearer token. */
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  current_password?: string;
}

export class OkResponseDto {
  ok!: boolean;
}

export class SessionsRevokedResponseDto {
  ok!: boolean;
  /** How many browser sessions were signed out. */
  revoked!: number;
}

export class UrlTokenResponseDto {
  /** Use once as `?token=` within 60 seconds. */
  token!: string;
  /** ISO 8601 expiry. */
  expires_at!: string;
}
