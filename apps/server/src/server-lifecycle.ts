import { Injectable, Logger } from '@nestjs/common';
import { DomainError } from '@trainyard/core';

/** Worker → supervisor exit codes. 75: start me again (POST /api/server/restart). */
export const RESTART_EXIT_CODE = 75;
/** 78 (EX_CONFIG): the worker cannot start (e.g. a corrupt database); starting it again would not help. */
export const BOOT_FAILURE_EXIT_CODE = 78;
/** The worker's IPC message once it is serving; only a worker that got this far is restarted after a crash. */
export const WORKER_READY_MESSAGE = 'trainyard:worker-ready';
/** What a worker sends the supervisor once it serves: the port it listens on. */
export interface WorkerReady {
  type: typeof WORKER_READY_MESSAGE;
  port: number;
}
/**
 * Set by the supervisor for a worker it restarts when the configured port is 0 (any free one): the
 * port the first worker got, so a restart keeps the server's address (banner, CLI, open consoles).
 */
export const WORKER_PORT_ENV = 'TRAINYARD_WORKER_PORT';
/**
 * Set by the supervisor for every worker after its first (a restart, or a respawn after a crash):
 * that is not a start of the server, so what happens "at startup" (`--regen-token`) does not again.
 */
export const WORKER_RESTARTED_ENV = 'TRAINYARD_WORKER_RESTARTED';
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
