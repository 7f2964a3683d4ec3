import type { Command } from 'commander';
import {
  CliContext,
  GlobalOptions,
  localServerUrl,
  resolveConnection,
  serverUrlFromEnv,
  stateDirectory,
} from '../context';
import { CliError, ConnectionInfo, EXIT, toCliError } from '../errors';
import { escapeControls } from '@trainyard/sdk';

/** Where a run's outcome is collected; the entry point exits with `exitCode` once commander returns. */
export interface RunState {
  exitCode: number;
  env: NodeJS.ProcessEnv;
  stderr: NodeJS.WritableStream;
}

/** A command body: gets the context and commander's arguments and options; may return an exit code. */
export type CommandBody<A extends unknown[]> = (ctx: CliContext, ...args: A) => Promise<number | void>;

/**
 * Wraps a command body into a commander action: resolves the server URL and token, builds the SDK
 * client, and turns any failure into one `trainyard: ...` line on stderr and its exit code.
 */
export type CommandRunner = <A extends unknown[]>(
  body: CommandBody<A>,
) => (...args: unknown[]) => Promise<void>;

export function makeRunner(state: RunState): CommandRunner {
  return <A extends unknown[]>(body: CommandBody<A>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals<GlobalOptions>();
      let connection: ConnectionInfo = { baseUrl: globals.server ?? '', tokenSource: '' };
      try {
        // Without a URL given, the server of the state directory wherever it listens.
        const given = globals.server ?? serverUrlFromEnv(state.env);
        const local = given
          ? null
          : await localServerUrl(stateDirectory(state.env), { stderr: state.stderr });
        const resolved = resolveConnection(globals, state.env, local);
        connection = given || local ? resolved : { ...resolved, noServerHolds: resolved.home };
        const code = await body(
          new CliContext(resolved, globals, process.stdout, state.stderr),
          ...(args.slice(0, -1) as A),
        );
        state.exitCode = code ?? EXIT.ok;
      } catch (error) {
        const failure = toCliError(error, connection);
        // The message may quote server-side text (a job type, a name, a config file's lines): never
        // let it drive the terminal, but keep its lines.
        state.stderr.write(`trainyard: ${escapeControls(failure.message, { multiline: true })}\n`);
        state.exitCode = failure.exitCode;
      }
    };
}

/** Refuses an irreversible action unless `--yes` was given. */
export function requireYes(yes: boolean | undefined, what: string): void {
  if (!yes) throw new CliError(`${what} cannot be undone; add --yes to confirm`, EXIT.invalid);
}
