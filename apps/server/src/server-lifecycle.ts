import { Injectable, Logger } from '@nestjs/common';
import { DomainError } from '@trainyard/core';

export const RESTART_HANDLER = Symbol('RESTART_HANDLER');
export type RestartHandler = () => Promise<void> | void;
/**
 * Checks, before a restart, that the next worker could start (its config file and environment are
 * read again then); throws with the reason when it could not.
 */
export type RestartCheck = () => void;

/** Restart is asked for over HTTP; the process entry point decides what "re-exec" means. */
@Injectable()
export class ServerLifecycle {
  private readonly logger = new Logger('Server');
  readonly startedAt = new Date().toISOString();
  private restarting = false;

  constructor(
    private readonly onRestart: RestartHandler,
    private readonly check: RestartCheck = () => undefined,
  ) {}

  /**
   * Restarts after `delayMs` (the HTTP answer goes out first). Refused (CONFLICT, the server keeps
   * running) when the next worker could not start — an invalid config file edited since the start
   * would otherwise take the server down for good, as `nginx -t` guards a reload.
   */
  scheduleRestart(delayMs = 200): void {
    if (this.restarting) return;
    try {
      this.check();
    } catch (err) {
      throw new DomainError(
        'CONFLICT',
        `not restarting, the server keeps running: ${(err as Error).message}`,
      );
    }
    this.restarting = true;
    this.logger.log('restart requested; running jobs are left untouched');
    // Let the HTTP answer flush before the server goes away.
    setTimeout(() => void Promise.resolve(this.onRestart()), delayMs).unref();
  }
}
