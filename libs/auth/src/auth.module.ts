import { Module } from '@nestjs/common';
import { AuthController } from './auth.controller';
import { Credentials } from './credentials';
import { SessionRepository } from './infrastructure/session.repository';
import { LoginHandler } from './commands/login.handler';
import { LogoutHandler } from './commands/logout.handler';
import { SetPasswordHandler } from './commands/set-password.handler';

@Module({
  controllers: [AuthController],
  providers: [Credentials, SessionRepository, LoginHandler, LogoutHandler, SetPasswordHandler],
  exports: [Credentials],
})
export class AuthModule {}
