import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors } from '@trainyard/core';
import { Credentials, sessionSetCookie } from './credentials';
import { requireAuth } from './auth-gate';
import { servedOverTls } from './request-source';
import {
  AuthStatusDto,
  LoginRequestDto,
  LoginResponseDto,
  OkResponseDto,
  SessionsRevokedResponseDto,
  SetPasswordRequestDto,
  UrlTokenResponseDto,
} from './auth.dto';
import { LoginCommand } from './commands/login.command';
import { LogoutCommand } from './commands/logout.command';
import { RevokeSessionsCommand } from './commands/revoke-sessions.command';
import { SetPasswordCommand } from './commands/set-password.command';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly credentials: Credentials,
  ) {}

  /**
   * Exchanges the bearer token or the password for a session cookie (open route). Wrong guesses are
   * throttled per client (429 with Retry-After); the right token is always accepted.
   */
  @Post('login')
  @HttpCode(200)
  @ApiErrors(400, 401, 429)
  async login(
    @Body() body: LoginRequestDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LoginResponseDto> {
    const result = await this.commandBus.execute(
      new LoginCommand(body.token ?? undefined, body.password ?? undefined, request.ip),
    );
    void reply.header(
      'Set-Cookie',
      sessionSetCookie(this.credentials.sessionCookie, result.sessionId, servedOverTls(request)),
    );
    return {
      authenticated: true,
      requires_password_setup: result.requiresPasswordSetup,
      expires_at: new Date(result.expiresAt).toISOString(),
    };
  }

  /** Ends this browser session and clears its cookie. */
  @Post('logout')
  @HttpCode(200)
  @ApiErrors(401, 403)
  async logout(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OkResponseDto> {
    await this.commandBus.execute(new LogoutCommand(request.auth?.sessionHash));
    void reply.header(
      'Set-Cookie',
      sessionSetCookie(this.credentials.sessionCookie, '', servedOverTls(request), 0),
    );
    return { ok: true };
  }

  /** Signs out everywhere: ends every browser session of this server, this one included. */
  @Post('logout-all')
  @HttpCode(200)
  @ApiErrors(401, 403)
  async logoutAll(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionsRevokedResponseDto> {
    const revoked = await this.commandBus.execute(new RevokeSessionsCommand('logout_all'));
    void reply.header(
      'Set-Cookie',
      sessionSetCookie(this.credentials.sessionCookie, '', servedOverTls(request), 0),
    );
    return { ok: true, revoked };
  }

  /** Whether auth is on, whether this request is authenticated, and whether a password exists (open route). */
  @Get('status')
  authStatus(@Req() request: FastifyRequest): AuthStatusDto {
    const passwordSet = this.credentials.password.isSet();
    const authenticated = Boolean(request.auth);
    return {
      auth_required: this.credentials.authRequired,
      authenticated,
      method: request.auth?.method ?? null,
      password_set: passwordSet,
      requires_password_setup: this.credentials.authRequired && authenticated && !passwordSet,
      sessions_persist: this.credentials.persistSessions,
    };
  }

  /**
   * Sets or changes the browser password (changing needs the bearer token or current_password, whose
   * guesses share the login throttle). Every other browser session is signed out; the caller's stays.
   * Refused (403 FORBIDDEN) under --no-auth, where no request proves who sends it.
   */
  @Post('set-password')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 429)
  async setPassword(
    @Body() body: SetPasswordRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<OkResponseDto> {
    await this.commandBus.execute(
      new SetPasswordCommand(body.new_password, body.current_password, requireAuth(request), request.ip),
    );
    return { ok: true };
  }

  /** Issues a one-shot `?token=` for a link, valid 60 seconds and usable once. */
  @Post('url-token')
  @HttpCode(200)
  @ApiErrors(401, 403)
  issueUrlToken(): UrlTokenResponseDto {
    const { token, expiresAt } = this.credentials.urlTokens.issue();
    return { token, expires_at: new Date(expiresAt).toISOString() };
  }
}
