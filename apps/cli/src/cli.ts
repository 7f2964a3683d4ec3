import { packageVersion } from './version';
import { Command, CommanderError } from 'commander';
import { registerCluster } from './commands/cluster.command';
import { registerGpu } from './commands/gpu.command';
import { registerJob } from './commands/job.command';
import { makeRunner, RunState, type CommandRunner } from './commands/runner';
import { registerProjects } from './commands/projects.command';
import { registerRuns } from './commands/runs.command';
import { registerSched } from './commands/sched.command';
import { registerServer, runServer, stopServer } from './commands/server.command';
import { registerService } from './commands/service.command';
import { registerSubmit } from './commands/submit.command';
import { registerWait } from './commands/wait.command';
import { DEFAULT_SERVER_URL, type GlobalOptions } from './context';
import { EXIT } from './errors';
import { shellWord } from './format';

const EXIT_CODES_HELP = `
Environment:
  TRAINYARD_SERVER_URL    server URL (default: the server of TRAINYARD_HOME, wherever it
                          listens, else ${DEFAULT_SERVER_URL}; --server overrides it)
  TRAINYARD_SERVER_TOKEN  bearer token (default: the server's token file,
                          $TRAINYARD_HOME/auth_token, i.e. ~/.config/trainyard/auth_token)
  TRAINYARD_TIMEOUT       seconds to wait for the server's answer (default 120; 0: no limit)

Exit codes:
  0 ok · 1 failed · 2 invalid usage or request · 3 server unreachable or not answering
  4 not authorised · 5 not found · 6 outcome unknown (look it up before a retry)
  130 interrupted; \`job tail\` exits with the job's own
  exit code, \`wait\` with the first failure's
`;

/** `stop`: `trainyard server stop`, which needs no connection (see registerServer). */
export function buildProgram(
  run: CommandRunner,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
  stop: (given: GlobalOptions) => Promise<void>,
): Command {
  const program = new Command('trainyard')
    .description('Trainyard: queue, scheduler, jobs, GPUs and live logs on a GPU host.')
    .option(
      '--server <url>',
      `server URL (env TRAINYARD_SERVER_URL; default: the server of TRAINYARD_HOME, else ${DEFAULT_SERVER_URL})`,
    )
    .option('--json', 'machine-readable JSON on stdout')
    .version(packageVersion(), '-V, --version', 'print the version')
    .addHelpText('after', EXIT_CODES_HELP)
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
      outputError: (text, write) => write(`trainyard: ${commanderErrorLine(text)}`),
    });
  registerServer(program, run, stop);
  registerSubmit(program, run);
  registerWait(program, run);
  registerSched(program, run);
  registerJob(program, run);
  registerGpu(program, run);
  registerService(program, run);
  registerCluster(program, run);
  registerRuns(program, run);
  registerProjects(program, run);
  // Every command (and group) exits through the CommanderError below instead of process.exit, and
  // after a usage error says where its usage is.
  const configure = (command: Command, path: string) => {
    command.exitOverride().showHelpAfterError(`trainyard: \`${path} --help\` shows its usage`);
    for (const sub of command.commands) configure(sub, `${path} ${sub.name()}`);
  };
  configure(program, 'trainyard');
  return program;
}

/**
 * Commander's error text as one line: `error: unknown option '--limt'\n(Did you mean --limit?)` →
 * `unknown option '--limt' (did you mean --limit?)`, as the CLI's other usage errors word it.
 */
export function commanderErrorLine(text: string): string {
  return text.replace(/^error: /, '').replace(/\n\(Did you mean (.*)\?\)(\n?)$/, ' (did you mean $1?)$2');
}

/**
 * `trainyard submit python3 -c 1`: commander reads `-c` as an option of submit. When a command word
 * comes before the unknown option, say how to write it: `put the command after --: trainyard submit
 * -- python3 -c 1` (`cluster submit`: the script). Null when that is not the mistake (no such word,
 * or `--` is there).
 */
export function doubleDashHint(program: Command, argv: string[]): string | null {
  const at = argv.indexOf('submit');
  // `trainyard cluster submit` has options of its own.
  const parent = argv[at - 1] === 'cluster' ? program.commands.find((c) => c.name() === 'cluster') : program;
  const submit = parent?.commands.find((c) => c.name() === 'submit');
  if (at < 0 || !submit || argv.includes('--')) return null;
  const what = parent === program ? 'command' : 'script';
  const options = [...submit.options, ...program.options];
  const words = argv.slice(at + 1);
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (!word.startsWith('-') || word === '-') {
      const before = [...argv.slice(0, at + 1), ...words.slice(0, i)];
      const line = ['trainyard', ...before, '--', ...words.slice(i)].map(shellWord).join(' ');
      return `put the ${what} after --: ${line}`;
    }
    const flag = word.split('=')[0];
    const option = options.find((o) => o.short === flag || o.long === flag);
    // An option's value is the next word unless given as --name=value.
    if (option && (option.required || option.optional) && !word.includes('=')) i++;
  }
  return null;
}

/**
 * `trainyard help sched list` as `trainyard sched list --help`. Commander's own help command prints
 * the whole help to stderr for a word it does not know; this says "unknown command", naming the
 * commands there are (a usage error). Words after a command without subcommands, or from the first
 * option on, are ignored, as commander does. `server help …` is `help server …`, and `help server`
 * is `server --help`: the server's flags.
 */
export function helpAsFlag(program: Command, argv: string[]): string[] {
  if (argv[0] === 'server' && argv[1] === 'help')
    return helpAsFlag(program, ['help', 'server', ...argv.slice(2)]);
  if (argv[0] !== 'help' || argv.length === 1) return argv;
  const words = argv.slice(1);
  let command: Command = program;
  let known = 0;
  for (const word of words) {
    // Words after a command without subcommands, and options (`--json`), are not commands to find.
    if (!command.commands.length || word.startsWith('-')) break;
    const next = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!next) {
      const names = command.commands.map((c) => c.name()).filter((name) => name !== 'help');
      const where = ['trainyard', ...words.slice(0, known)].join(' ');
      command.error(`unknown command '${word}' for \`${where}\`; its commands: ${names.join(', ')}`, {
        code: 'commander.unknownCommand',
        exitCode: EXIT.invalid,
      });
    }
    command = next;
    known++;
  }
  return [...words.slice(0, known), '--help'];
}

/** The server's own subcommands; any other `server …` is the server's flags (see runServer). */
const SERVER_COMMANDS = new Set(['stop', 'restart', 'help']);

/** Runs one invocation; resolves with the exit code. */
export async function runCli(
  argv: string[],
  io: { env?: NodeJS.ProcessEnv; stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {},
): Promise<number> {
  const state: RunState = {
    exitCode: EXIT.ok,
    env: io.env ?? process.env,
    stderr: io.stderr ?? process.stderr,
  };
  const stdout = io.stdout ?? process.stdout;
  const stop = async (given: GlobalOptions) => {
    // It signals the server of this machine's state directory: never one that --server names.
    if (given.server !== undefined) {
      state.stderr.write(
        'trainyard: `server stop` stops the server of this state directory (TRAINYARD_HOME) and takes no ' +
          "--server; another machine's server is stopped there (`trainyard server restart` takes --server)\n",
      );
      state.exitCode = EXIT.invalid;
      return;
    }
    state.exitCode = await stopServer(state.env, stdout, state.stderr);
  };
  const program = buildProgram(makeRunner(state), stdout, state.stderr, stop);
  // No command at all is what a group without its subcommand is: its usage on stderr, a usage error.
  if (!argv.length) {
    program.outputHelp({ error: true });
    return EXIT.invalid;
  }
  try {
    const args = helpAsFlag(program, argv);
    if (args[0] === 'server' && !SERVER_COMMANDS.has(args[1])) return runServer(args.slice(1));
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.unknownOption') {
      const hint = doubleDashHint(program, argv);
      if (hint) state.stderr.write(`trainyard: ${hint}\n`);
    }
    // --help, `help [command]` and --version exit 0; a group without a subcommand prints its help
    // and is a usage error (commander gives it exit code 1), as is every other parse error.
    return err.exitCode === 0 ? EXIT.ok : EXIT.invalid;
  }
  return state.exitCode;
}
