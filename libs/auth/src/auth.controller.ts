import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors, DomainError } from '@trainyard/core';
import { Credentials, sessionSetCookie } from './credentials';
import { requireAuth } from './auth-gate';
import {
  AuthStatusDto,
  LoginRequestDto,
  LoginResponseDto,
  OkResponseDto,
  SetPasswordRequestDto,
  UrlTokenResponseDto,
} from './auth.dto';
import { LoginCommand } from './commands/login.command';
import { LogoutCommand } from './commands/logout.command';
import { SetPasswordCommand } from './commands/set-password.command';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly credentials: Credentials,
  ) {}

  /** Exchanges the bearer token or the password for a session cookie (open route). */
  @Post('login')
  @HttpCode(200)
  @ApiErrors(400, 401, 429)
  async login(
    @Body() body: LoginRequestDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LoginResponseDto> {
    try {
      const result = await this.commandBus.execute(
        new LoginCommand(body.token ?? undefined, body.password ?? undefined, request.ip),
      );
      void reply.header('Set-Cookie', sessionSetCookie(result.sessionId, request.protocol === 'https'));
      return {
        authenticated: true,
        requires_password_setup: result.requiresPasswordSetup,
        expires_at: new Date(result.expiresAt).toISOString(),
      };
    } catch (err) {
      if (err instanceof DomainError && err.code === 'TOO_MANY_LOGIN_ATTEMPTS') {
        const seconds =
          (err.details as { retry_after_seconds?: number } | undefined)?.retry_after_seconds ?? 60;
        void reply.header('Retry-After', String(seconds));
      }
      throw err;
    }
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
    void reply.header('Set-Cookie', sessionSetCookie('', request.protocol === 'https', 0));
    return { ok: true };
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

  /** Sets or changes the browser password (changing needs the bearer token or current_password). */
  @Post('set-password')
  @HttpCode(200)
  @ApiErrors(400, 401, 403)
  async setPassword(
    @Body() body: SetPasswordRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<OkResponseDto> {
    await this.commandBus.execute(
      new SetPasswordCommand(body.new_password, body.current_password, requireAuth(request)),
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
