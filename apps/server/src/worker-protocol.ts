/**
 * What the supervisor (main.ts) and its worker (worker.ts) say to each other. Kept apart from
 * anything heavy: the supervisor loads only this, so it takes the state directory's lock within
 * ~0.15 s of starting (a CLI command run right after `trainyard server &` finds it).
 */

/** Worker → supervisor exit codes. 75: start me again (POST /api/server/restart). */
export const RESTART_EXIT_CODE = 75;
/** 78 (EX_CONFIG): the worker cannot start (e.g. a corrupt database); starting it again would not help. */
export const BOOT_FAILURE_EXIT_CODE = 78;
/**
 * 74 (EX_IOERR): the state directory's file system refused the start (full, read-only, I/O error,
 * no permission). Final for the first worker like any start failure, but a worker started again
 * after a crash is retried with it (counted as a crash): room made meanwhile lets the next one start.
 */
export const STORAGE_FAILURE_EXIT_CODE = 74;
/** 2: bad usage or config, or a state directory that cannot be trusted or is in use by another server. */
export const USAGE_EXIT_CODE = 2;

/** What a server says of a bad flag or setting: the one line that says what to fix, and where the rest is. */
export function usageErrorText(message: string): string {
  return `trainyard: ${message}\n(\`trainyard server --help\` lists every option)\n`;
}
/** The worker's IPC message once it is serving; only a worker that got this far is restarted after a crash. */
export const WORKER_READY_MESSAGE = 'trainyard:worker-ready';
/** What a worker sends the supervisor once it serves: the port it listens on, and the host for a URL. */
export interface WorkerReady {
  type: typeof WORKER_READY_MESSAGE;
  port: number;
  /** As the state directory's lock tells the CLI (see `urlHostOfBound`): `127.0.0.1`, `[::1]`, `10.0.0.5`. */
  host: string;
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
