import { ChildProcess, fork } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
// Not the @trainyard/core barrel, which takes ~0.4 s to load: the supervisor takes the state
// directory's lock first (see worker-protocol.ts).
// eslint-disable-next-line no-restricted-imports
import {
  ConfigError,
  isHelpRequested,
  checkFlags,
  resolveHome,
} from '../../../libs/core/src/config/server-config';
// eslint-disable-next-line no-restricted-imports
import { USAGE } from '../../../libs/core/src/config/settings';
import { HomeInUseError, lockHome } from './home-lock';
import { ListenerKeeper } from './listener-handover';
import {
  BOOT_FAILURE_EXIT_CODE,
  RESTART_EXIT_CODE,
  USAGE_EXIT_CODE,
  usageErrorText,
  WORKER_PORT_ENV,
  WORKER_READY_MESSAGE,
  WORKER_RESTARTED_ENV,
  WorkerReady,
} from './worker-protocol';

/** A crash loop: this many unexpected worker deaths within the window and the supervisor gives up. */
const CRASH_LIMIT = 5;
const CRASH_WINDOW_MS = 60_000;
/** Exit code of a supervisor that gave up after a crash loop (EX_SOFTWARE). */
const CRASH_LOOP_EXIT_CODE = 70;
/**
 * V8 grows the worker's heap to up to 4× what survived the last full collection before collecting
 * again; after a burst (10,000 submits) that left ~230 MB of garbage-holding heap that V8 keeps.
 * Growing by half instead holds the worker near 190 MB with no measurable cost in submits/s or jobs/s
 * (bench/, README "Benchmarks").
 */
const WORKER_V8_FLAGS = ['--heap-growing-percent=50'];

/** Wait before starting worker number `crashes` after a crash: 250 ms, doubling, at most 5 s. */
function restartDelayMs(crashes: number): number {
  return Math.min(250 * 2 ** Math.max(0, crashes - 1), 5000);
}

/**
 * Supervisor: runs the server as a child (worker.ts) and starts a fresh one when it exits asking for
 * a restart (POST /api/server/restart) or when a worker that was serving dies unexpectedly (a crash,
 * SIGKILL, the OOM killer), with backoff and a crash-loop limit. The first worker failing before it
 * serves (bad config, port in use, corrupt database) is not retried: its exit code is ours; a later
 * one that dies while starting is a crash like any other. Node has no
 * execv; this keeps the PID, terminal and Ctrl-C behaviour of an in-place re-exec. Jobs live in their
 * own sessions, keep running throughout, and are re-attached by the next worker.
 */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (isHelpRequested(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  // A mistyped flag, word or value is a usage error whether or not another server holds the state
  // directory: checked before the lock, whose error would name the wrong problem.
  try {
    checkFlags(argv);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(usageErrorText(err.message));
    process.exit(USAGE_EXIT_CODE);
  }
  /** The port the first worker listens on: later ones take it too (it matters with --port 0). */
  let port: number | null = null;
  /** The host for a URL of the last worker that served (a restart re-reads the config's host). */
  let host = '127.0.0.1';
  // Held by this supervisor across worker restarts, let go when it exits; it names the port, so
  // the CLI knows whether the server it cannot reach is this one restarting.
  try {
    await lockHome(resolveHome(process.env), () => (port === null ? null : { port, host }));
  } catch (err) {
    if (!(err instanceof HomeInUseError)) throw err;
    process.stderr.write(`trainyard: ${err.message}\n`);
    process.exit(2);
  }
  let child: ChildProcess | null = null;
  let pending: NodeJS.Timeout | null = null;
  let stopping = false;
  let crashes: number[] = [];
  /** The listening socket between a restarting worker and the next one. */
  const listener = new ListenerKeeper();

  let started = 0;
  const start = () => {
    pending = null;
    const restarted = started++ > 0;
    let serving = false;
    const worker = fork(join(__dirname, 'worker.js'), argv, {
      stdio: 'inherit',
      execArgv: [...process.execArgv, ...WORKER_V8_FLAGS],
      env: {
        ...process.env,
        ...(port === null ? {} : { [WORKER_PORT_ENV]: String(port) }),
        ...(restarted ? { [WORKER_RESTARTED_ENV]: '1' } : {}),
      },
    });
    child = worker;
    worker.on('message', (message: WorkerReady, handle: unknown) => {
      if (listener.onMessage(worker, message, handle)) return;
      if (message?.type !== WORKER_READY_MESSAGE) return;
      serving = true;
      port ??= message.port;
      host = message.host;
    });
    // 'close', not 'exit': it comes after the IPC channel is drained, so a ready message the worker sent
    // just before it died is never missed.
    worker.on('close', (code, signal) => {
      child = null;
      if (code === RESTART_EXIT_CODE && !stopping) {
        start();
        return;
      }
      const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 15) : 1);
      // Only the first worker's failure to start is final (bad config, port in use): one started
      // again after a crash or a restart that dies while starting (SIGKILL, the OOM killer during
      // re-attach) is one more crash, counted against the limit, not a silent end of the server.
      if (stopping || (!serving && !restarted) || code === 0 || code === BOOT_FAILURE_EXIT_CODE)
        process.exit(exitCode);
      const now = Date.now();
      crashes = [...crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
      const how =
        (signal ? `was killed by ${signal}` : `exited with code ${code}`) +
        (serving ? '' : ' while starting');
      if (crashes.length >= CRASH_LIMIT) {
        process.stderr.write(
          `trainyard: the server ${how}; that is ${crashes.length} crashes within ${CRASH_WINDOW_MS / 1000} s, giving up. Running jobs keep running and are re-attached at the next start.\n`,
        );
        process.exit(CRASH_LOOP_EXIT_CODE);
      }
      const delay = restartDelayMs(crashes.length);
      process.stderr.write(
        `trainyard: the server ${how}${serving ? ' unexpectedly' : ''}; starting a new one in ${delay} ms (running jobs keep running)\n`,
      );
      pending = setTimeout(start, delay);
    });
  };
  // `kill -HUP` / systemd's ExecReload: the worker restarts to re-read its config (if it can start).
  process.on('SIGHUP', () => child?.kill('SIGHUP'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopping = true;
      if (child) child.kill(signal);
      else {
        if (pending) clearTimeout(pending);
        process.exit(0);
      }
    });
  }
  start();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `trainyard: the server could not start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
