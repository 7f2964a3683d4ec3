import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { homeHolder } from '../../../server/src/home-lock';
import { stateDirectory } from '../context';
import { EXIT } from '../errors';

/**
 * `trainyard server [flags]` runs the server's own entry point (its supervisor) in this process, so
 * flags (including --help), signals and exit codes are the server's own — and the pid a shell reports
 * for `trainyard server … &` is the server's: `kill -9 $!` stops it (its worker ends with it), where
 * a wrapper process would leave the server running. Never resolves: the server exits the process.
 */
export function runServer(args: string[]): Promise<number> {
  const main = join(__dirname, '..', '..', '..', 'server', 'src', 'main.js');
  process.argv = [process.argv[0], main, ...args];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(main);
  return new Promise(() => undefined);
}

/** How long `server stop` waits for the server to be gone: its own shutdown gives up after 5 s. */
const STOP_WAIT_MS = 20_000;

/**
 * Whether `pid` is a Trainyard server of state directory `home`: the lock's holder answers with its
 * pid, but the lock is a name anyone could take while no server holds it, so before a signal goes
 * to that pid it must be a process of the directory's owner (the server insists on owning it) whose
 * command line is Trainyard's.
 */
function isServerOf(pid: number, home: string): boolean {
  try {
    if (statSync(`/proc/${pid}`).uid !== statSync(home).uid) return false;
    return /trainyard|apps\/server\/src\/main\.js/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * `trainyard server stop`: stops the server that holds the state directory (`TRAINYARD_HOME`) as
 * Ctrl-C would (SIGTERM: running jobs keep running and are re-attached at the next start), and
 * waits until it is gone. Exits 0 once it is, 3 when no server holds the directory, 1 when it is
 * still there after 20 s or the holder is not one to signal.
 */
export async function stopServer(
  env: NodeJS.ProcessEnv,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<number> {
  const home = stateDirectory(env);
  const holder = await homeHolder(home);
  if (!holder) {
    stderr.write(`trainyard: no server holds ${home} (set TRAINYARD_HOME to the server's state directory)\n`);
    return EXIT.unreachable;
  }
  if (!isServerOf(holder.pid, home)) {
    stderr.write(
      `trainyard: the lock of ${home} is held by pid ${holder.pid}, which is not its Trainyard server; not signalled\n`,
    );
    return EXIT.failure;
  }
  try {
    process.kill(holder.pid, 'SIGTERM');
  } catch (err) {
    // Gone between the check and the signal: stopped all the same (the wait below sees it).
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
  const until = Date.now() + STOP_WAIT_MS;
  while (await homeHolder(home)) {
    if (Date.now() > until) {
      stderr.write(
        `trainyard: the server (pid ${holder.pid}) is still running ${STOP_WAIT_MS / 1000} s after SIGTERM\n`,
      );
      return EXIT.failure;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  stdout.write(`stopped the server (pid ${holder.pid}) of ${home}; running jobs keep running\n`);
  return EXIT.ok;
}

/** Listed in `trainyard --help`; the entry point hands `server` to {@link runServer} before parsing. */
export function registerServer(program: Command): void {
  program
    .command('server')
    .summary('start the Trainyard server (flags: trainyard server --help); `server stop` stops it')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments();
}
