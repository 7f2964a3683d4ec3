import { Injectable, Logger } from '@nestjs/common';
import { DomainError } from '@trainyard/core';

export const RESTART_HANDLER = Symbol('RESTART_HANDLER');
export type RestartHandler = () => Promise<void> | void;
/**
 * Checks, before a restart, that the next worker could start (its config file and environment are
 * read again then); throws with the reason when it could not, else returns what the next worker
 * will warn of (unknown keys ignored, …).
 */
export type RestartCheck = () => string[];

/** Restart is asked for over HTTP; the process entry point decides what "re-exec" means. */
@Injectable()
export class ServerLifecycle {
  private readonly logger = new Logger('Server');
  readonly startedAt = new Date().toISOString();
  private restarting = false;

  constructor(
    private readonly onRestart: RestartHandler,
    private readonly check: RestartCheck = () => [],
  ) {}

  /**
   * Restarts after `delayMs` (the HTTP answer goes out first). Refused (CONFLICT, the server keeps
   * running) when the next worker could not start — an invalid config file edited since the start
   * would otherwise take the server down for good, as `nginx -t` guards a reload. Returns what the
   * next worker will warn of: a misspelt key is ignored, and the one asking should hear of it.
   */
  scheduleRestart(delayMs = 200): string[] {
    if (this.restarting) return [];
    let warnings: string[];
    try {
      warnings = this.check();
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
    return warnings;
  }
}
