import { Command, CommanderError } from 'commander';
import { registerGpu } from './commands/gpu.command';
import { registerJob } from './commands/job.command';
import { makeRunner, RunState, type CommandRunner } from './commands/runner';
import { registerSched } from './commands/sched.command';
import { registerServer, runServer } from './commands/server.command';
import { registerSubmit } from './commands/submit.command';
import { registerWait } from './commands/wait.command';
import { DEFAULT_SERVER_URL } from './context';
import { EXIT } from './errors';

const EXIT_CODES_HELP = `
Environment:
  TRAINYARD_SERVER_URL    server URL (default ${DEFAULT_SERVER_URL}; --server overrides it)
  TRAINYARD_SERVER_TOKEN  bearer token (default: the server's token file,
                          $TRAINYARD_HOME/auth_token, i.e. ~/.config/trainyard/auth_token)

Exit codes:
  0 ok · 1 failed · 2 invalid usage or request · 3 server unreachable · 4 not authorised
  5 not found · 130 interrupted; \`job tail\` exits with the job's own exit code,
  \`wait\` with the first failure's
`;

export function buildProgram(
  run: CommandRunner,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Command {
  const program = new Command('trainyard')
    .description('Trainyard: queue, scheduler, jobs, GPUs and live logs on a GPU host.')
    .option('--server <url>', `server URL (env TRAINYARD_SERVER_URL, default ${DEFAULT_SERVER_URL})`)
    .option('--json', 'machine-readable JSON on stdout')
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
      outputError: (text, write) => write(`trainyard: ${text.replace(/^error: /, '')}`),
    });
  registerServer(program);
  registerSubmit(program, run);
  registerWait(program, run);
  registerSched(program, run);
  registerJob(program, run);
  registerGpu(program, run);
  // Every command (and group) exits through the CommanderError below instead of process.exit.
  const exitOverride = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

/** Runs one invocation; resolves with the exit code. */
export async function runCli(
  argv: string[],
  io: { env?: NodeJS.ProcessEnv; stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {},
): Promise<number> {
  if (argv[0] === 'server') return runServer(argv.slice(1));
  const state: RunState = {
    exitCode: EXIT.ok,
    env: io.env ?? process.env,
    stderr: io.stderr ?? process.stderr,
  };
  const program = buildProgram(makeRunner(state), io.stdout ?? process.stdout, state.stderr);
  if (!argv.length) {
    program.outputHelp();
    return EXIT.ok;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // --help and --version exit 0; a group without a subcommand prints its help and is a usage error.
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version'
      ? EXIT.ok
      : EXIT.invalid;
  }
  return state.exitCode;
}
