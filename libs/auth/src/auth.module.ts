import { Module } from '@nestjs/common';
import { AuthController } from './auth.controller';
import { Credentials } from './credentials';
import { SessionRepository } from './infrastructure/session.repository';
import { LoginHandler } from './commands/login.handler';
import { LogoutHandler } from './commands/logout.handler';
import { SetPasswordHandler } from './commands/set-password.handler';
import { RevokeSessionsHandler } from './commands/revoke-sessions.handler';
import { PurgeExpiredSessionsHandler } from './commands/purge-expired-sessions.handler';
import { AuthScheduler } from './auth.scheduler';
import { CloseSignedOutSockets, SignedOutSockets } from './signed-out-sockets';

@Module({
  controllers: [AuthController],
  providers: [
    Credentials,
    SessionRepository,
    LoginHandler,
    LogoutHandler,
    SetPasswordHandler,
    RevokeSessionsHandler,
    PurgeExpiredSessionsHandler,
    AuthScheduler,
    SignedOutSockets,
    CloseSignedOutSockets,
  ],
  exports: [Credentials],
})
export class AuthModule {}
