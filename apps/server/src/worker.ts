import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createServer } from 'node:net';
import { ConfigError, describeErrno, isStorageErrno, loadServerConfig, StateDirError } from '@trainyard/core';
import { Credentials } from '@trainyard/auth';
import { DatabaseOpenError } from '@trainyard/database';
import { createServerApp } from './configure-app';
import { startupBanner } from './banner';
import { HttpDrain } from './http-drain';
import { urlHostOfBound } from './home-lock';
import { handOverListener, takeOverListener } from './listener-handover';
import {
  BOOT_FAILURE_EXIT_CODE,
  RESTART_EXIT_CODE,
  STORAGE_FAILURE_EXIT_CODE,
  USAGE_EXIT_CODE,
  usageErrorText,
  WORKER_PORT_ENV,
  WORKER_READY_MESSAGE,
  WORKER_RESTARTED_ENV,
  WorkerReady,
} from './worker-protocol';
import { ServerLifecycle } from './server-lifecycle';

/** Rejects with the listen error (EADDRINUSE, EACCES…) when `host:port` cannot be listened on now. */
function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

const explain = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

/**
 * Why the server could not start, for its one line: a file system's refusal (a full disk, a
 * permission) names the file and the cause with no stack trace, which says nothing a user can act
 * on; anything else is a bug, with its stack.
 */
function explainStartFailure(err: unknown): string {
  const { code, path, syscall } = err as NodeJS.ErrnoException;
  if (typeof code !== 'string' || !syscall) return explain(err);
  return `${path ?? `${syscall} failed`}: ${describeErrno(code)} (${code})`;
}

/** How long a stop or restart waits for the app to close before the worker exits anyway. */
const CLOSE_DEADLINE_MS = 5_000;
/** Of which, how long the requests in flight get to be answered before the modules close. */
const DRAIN_DEADLINE_MS = 2_000;

/**
 * Drains HTTP (see {@link HttpDrain}), then closes the app, or gives up after CLOSE_DEADLINE_MS: the
 * HTTP server's close waits for every open request, and a client that never finishes one (a stalled
 * browser, a half-sent request) would keep the server from stopping for a minute or more. Exiting
 * then loses nothing: each write is committed or refused, and running jobs keep running and are
 * re-attached at the next start.
 */
async function closeWithin(
  app: { close(): Promise<void> },
  drain: HttpDrain,
  why: string,
  logger: Logger,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      logger.warn(
        `${why}: still closing after ${CLOSE_DEADLINE_MS / 1000} s (a client holds a request open); exiting`,
      );
      resolve();
    }, CLOSE_DEADLINE_MS);
  });
  // A module failing to close still lets the worker exit (the state on disk is whole either way).
  const closed = drain
    .drain(DRAIN_DEADLINE_MS)
    .then(() => app.close())
    .catch((err: unknown) => logger.error(`${why}: closing failed: ${explain(err)}`));
  await Promise.race([closed, deadline]);
  clearTimeout(timer);
}

/**
 * A rejected promise nobody awaited is a bug to log, not a reason to drop every request and job
 * watcher: the server keeps running. An uncaught exception may have left state half-updated, so the
 * worker exits and the supervisor starts a fresh one (running jobs are re-attached).
 */
function installCrashPolicy(logger: Logger): void {
  process.on('unhandledRejection', (reason) => {
    logger.error(`unhandled promise rejection (the server keeps running): ${explain(reason)}`);
  });
  process.on('uncaughtException', (err) => {
    logger.error(
      `uncaught exception; this worker exits and the supervisor starts a new one: ${explain(err)}`,
    );
    process.exit(1);
  });
}

/** The server process proper; main.ts supervises it so that a restart keeps the same terminal and PID. */
async function runWorker(): Promise<void> {
  // If the supervisor dies (even by SIGKILL), don't linger holding the port.
  process.on('disconnect', () => process.exit(0));
  const argv = process.argv.slice(2);
  let config;
  try {
    config = loadServerConfig({ argv, env: process.env });
  } catch (err) {
    if (err instanceof StateDirError) {
      process.stderr.write(`trainyard: ${err.message}\n`);
      process.exit(err.storage ? STORAGE_FAILURE_EXIT_CODE : USAGE_EXIT_CODE);
    }
    if (err instanceof ConfigError) {
      process.stderr.write(usageErrorText(err.message));
      process.exit(USAGE_EXIT_CODE);
    }
    throw err;
  }
  // A restart or respawn is not a start: the token rotates at the server's start only.
  if (process.env[WORKER_RESTARTED_ENV]) config = { ...config, regen_token: false };
  const logger = new Logger('Server');
  installCrashPolicy(logger);
  let app: Awaited<ReturnType<typeof createServerApp>>;
  try {
    app = await createServerApp(config, {
      // The next worker reads the config file and environment again: it must be able to start.
      checkRestart: () => loadServerConfig({ argv, env: process.env }).warnings,
      onRestart: async () => {
        // A graceful restart keeps browsers signed in: the next worker takes over their sessions.
        await app
          .get(Credentials)
          .handOverSessions()
          .catch((err: unknown) => logger.error(`sessions not handed over: ${explain(err)}`));
        // And its listening socket: connections made meanwhile wait for the next worker.
        await handOverListener(app.getHttpServer(), config.host);
        await closeWithin(app, drain, 'restart', logger);
        process.exit(RESTART_EXIT_CODE);
      },
    });
  } catch (err) {
    // One line the user can act on, and an exit code the supervisor does not retry.
    if (err instanceof DatabaseOpenError) {
      process.stderr.write(`trainyard: ${err.message}\n`);
      process.exit(err.storage ? STORAGE_FAILURE_EXIT_CODE : BOOT_FAILURE_EXIT_CODE);
    }
    throw err;
  }
  const drain = new HttpDrain(app.getHttpServer());
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal}: shutting down; running jobs keep running and are re-attached on next start`);
    void closeWithin(app, drain, signal, logger).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // A reload (`kill -HUP`, systemd's ExecReload): the checked restart of POST /api/server/restart.
  process.on('SIGHUP', () => {
    try {
      app.get(ServerLifecycle).scheduleRestart(0);
      logger.log('SIGHUP: restarting to read the config again');
    } catch (err) {
      logger.error(`SIGHUP: ${(err as Error).message}`);
    }
  });

  // With --port 0, a restarted worker asks for its predecessor's port (see WORKER_PORT_ENV).
  const previous = config.port === 0 ? Number(process.env[WORKER_PORT_ENV] ?? 0) : 0;
  const wanted = previous || config.port;
  // After a restart, the socket the last worker listened on (connections may be waiting on it).
  const inherited = wanted === 0 ? null : await takeOverListener(config.host, wanted);
  try {
    // Nest logs a failed listen as an ERROR before it rejects: a port in use is found first, so the
    // user reads one line (a port taken between this check and the listen still gets that line).
    if (!inherited && !previous && wanted !== 0) await assertPortFree(config.host, wanted);
    await app
      .listen({ host: config.host, port: wanted, ...(inherited ? { handle: inherited } : {}) })
      .catch((err: NodeJS.ErrnoException) => {
        if (!previous || err.code !== 'EADDRINUSE') throw err;
        logger.warn(`port ${previous} was taken meanwhile: serving on a new one (see the address below)`);
        return app.listen({ host: config.host, port: 0 });
      });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    process.stderr.write(
      code === 'EADDRINUSE'
        ? `trainyard: ${config.host}:${config.port} is already in use (another Trainyard?). Pick another with --port.\n`
        : `trainyard: cannot listen on ${config.host}:${config.port}: ${(err as Error).message}\n`,
    );
    // Its modules have started (the jobs' cgroup, the database): closed as at any stop, so nothing
    // is left behind (an empty cgroup was, at each try).
    await Promise.race([
      app.close().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, CLOSE_DEADLINE_MS)),
    ]);
    process.exit(1);
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = urlHostOfBound(typeof address === 'object' && address ? address.address : config.host);
  const credentials = app.get(Credentials);
  // Serving is announced to the supervisor before anyone can read the banner and act on it.
  await new Promise<void>((resolve) =>
    process.send
      ? process.send({ type: WORKER_READY_MESSAGE, port, host } satisfies WorkerReady, () => resolve())
      : resolve(),
  );
  process.stdout.write(
    startupBanner(
      config,
      port,
      credentials.authRequired ? credentials.token.value : null,
      credentials.password.isSet(),
      Boolean(process.env[WORKER_RESTARTED_ENV]),
    ),
  );
}

runWorker().catch((err: unknown) => {
  process.stderr.write(`trainyard: the server could not start: ${explainStartFailure(err)}\n`);
  // A file's refusal (it names a path: not a port's EACCES) is the storage's.
  const { code, path } = err as NodeJS.ErrnoException;
  process.exit(path && isStorageErrno(code) ? STORAGE_FAILURE_EXIT_CODE : 1);
});
