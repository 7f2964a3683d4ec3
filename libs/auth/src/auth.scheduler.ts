import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { PurgeExpiredSessionsCommand } from './commands/purge-expired-sessions.command';

/** How often expired sessions are purged (boot purges too, in `Credentials.onModuleInit`). */
export const SESSION_PURGE_INTERVAL_MS = 3600_000;

/** The auth module's clock: purges expired sessions every hour. */
@Injectable()
export class AuthScheduler implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Auth');
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly commandBus: CommandBus) {}

  onModuleInit(): void {
    this.timer = setInterval(
      () =>
        void this.commandBus
          .execute(new PurgeExpiredSessionsCommand())
          .catch((err: unknown) => this.logger.warn(`purging expired sessions failed: ${String(err)}`)),
      SESSION_PURGE_INTERVAL_MS,
    );
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
