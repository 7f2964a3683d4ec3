import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { escapeControls, getHealth, restartServer } from '@trainyard/sdk';
import { homeHolder } from '../../../server/src/home-lock';
import { type CliContext, type GlobalOptions, RESTART_WAIT_MS, stateDirectory } from '../context';
import { CliError, EXIT } from '../errors';
import type { CommandRunner } from './runner';

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
 * Whether `pid` is a Trainyard server of state directory `home`: the lock's holder proved it knows
 * the directory's lock key (HomeHolder.proven), and, as a second check before a signal goes to that
 * pid, it is a process of the directory's owner (the server insists on owning it) whose command line
 * is Trainyard's.
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
  if (!holder.proven || !isServerOf(holder.pid, home)) {
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

/**
 * `trainyard server restart`: asks the server (`POST /api/server/restart`) to start its next worker
 * (re-reading its config; running jobs keep running) and waits until that worker answers — its
 * `started_at` (GET /api/health) changes — up to {@link RESTART_WAIT_MS}. A refusal (409: the next
 * one could not start, e.g. an invalid config; the server keeps running) is the server's message.
 */
async function restartCommand(ctx: CliContext): Promise<number> {
  const before = (await getHealth({ client: ctx.client })).data.started_at;
  const { data: scheduled } = await restartServer({ client: ctx.client });
  // A misspelt setting is ignored, not refused: whoever restarts to apply it should hear of it.
  for (const warning of scheduled.warnings ?? [])
    process.stderr.write(`trainyard: warning: ${escapeControls(warning)}\n`);
  const until = Date.now() + RESTART_WAIT_MS;
  for (;;) {
    // The gap between the two workers is waited through by the client (see fetchThroughRestart).
    const health = (await getHealth({ client: ctx.client })).data;
    if (health.started_at !== before) {
      ctx.output(
        { restarted: true, started_at: health.started_at },
        () => `restarted the server at ${ctx.connection.baseUrl}; running jobs keep running`,
      );
      return EXIT.ok;
    }
    if (Date.now() > until)
      throw new CliError(
        `the server at ${ctx.connection.baseUrl} accepted the restart but still runs the worker started at ${before} after ${RESTART_WAIT_MS / 1000} s; its log says why`,
        EXIT.failure,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Listed in `trainyard --help`. The entry point hands `server [flags]` (and `help server`) to
 * {@link runServer}, whose help lists the flags; `server stop` and `server restart` are parsed here.
 * `stop` runs without a server connection: it signals the holder of the state directory.
 */
export function registerServer(
  program: Command,
  run: CommandRunner,
  stop: (given: GlobalOptions) => Promise<void>,
): void {
  const server = program
    .command('server')
    .summary('start the Trainyard server (flags: trainyard server --help); `server stop|restart`')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    // Reached only with a global option before `server` (`trainyard --json server`): the entry point
    // hands every other start of a server to runServer. It printed the group's help, exit 2.
    .action((_options: unknown, command: Command) =>
      command.error(
        'start a server with `trainyard server [flags]`: its flags come after `server`, and --server ' +
          'and --json are not among them (they are for commands that talk to a server)',
        { code: 'trainyard.serverGlobalOption', exitCode: EXIT.invalid },
      ),
    );
  // The group's `helpOption(false)` and `allowExcessArguments()` (its flags and words are the
  // server's) are inherited: its commands take them back.
  server
    .command('stop')
    .helpOption('-h, --help', 'display help for command')
    .allowExcessArguments(false)
    .summary('stop the server of TRAINYARD_HOME as Ctrl-C would; running jobs keep running')
    .description(
      'Stop the server that holds the state directory (TRAINYARD_HOME, default ~/.config/trainyard) as ' +
        'Ctrl-C would (SIGTERM; running jobs keep running and are re-attached at the next start) and wait ' +
        'until it is gone. Exit 0 once it is, 3 when no server holds the directory, 1 when the lock is held ' +
        'by a process that is not its Trainyard server (not signalled) or it is still there after 20 s.',
    )
    .action((_options: unknown, command: Command) => stop(command.optsWithGlobals<GlobalOptions>()));
  server
    .command('restart')
    .helpOption('-h, --help', 'display help for command')
    .allowExcessArguments(false)
    .summary('restart the server in place; running jobs keep running')
    .description(
      'Restart the server you talk to in place (it re-reads its config file); running jobs keep running ' +
        'and are re-attached. Waits until the new worker answers. Exit 0 once it does; the server refuses ' +
        '(and keeps running) when the next one could not start, e.g. an invalid config file.',
    )
    .action(run(restartCommand));
}
