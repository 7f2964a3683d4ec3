import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { isHelpRequested, USAGE } from '@trainyard/core';
import { RESTART_EXIT_CODE } from './server-lifecycle';

/**
 * Supervisor: runs the server as a child and starts a fresh one when it exits asking for a restart
 * (POST /api/server/restart). Node has no execv; this keeps the PID, terminal and Ctrl-C behaviour
 * of an in-place re-exec. Jobs live in their own sessions and are untouched either way.
 */
function main(): void {
  const argv = process.argv.slice(2);
  if (isHelpRequested(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let child: ChildProcess | null = null;
  const start = () => {
    child = fork(join(__dirname, 'worker.js'), argv, { stdio: 'inherit' });
    child.on('exit', (code, signal) => {
      if (code === RESTART_EXIT_CODE) {
        start();
        return;
      }
      process.exit(code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : 1));
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => child?.kill(signal));
  }
  start();
}

main();
