import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Client, createTrainyardClient } from '@trainyard/sdk';
import { homeHolderPid } from '../../server/src/home-lock';
import { CliError, ConnectionInfo, EXIT } from './errors';
import { palette, Style } from './format';

/** The server's default address (the same as @trainyard/core's DEFAULT_SERVER_URL; banner.spec checks). */
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8765';

/** Options every command accepts (commander's `optsWithGlobals()`). */
export interface GlobalOptions {
  server?: string;
  json?: boolean;
}

export interface Connection extends ConnectionInfo {
  token?: string;
  /** The state directory (`TRAINYARD_HOME`): where the token file is, and whose lock says a server runs. */
  home: string;
}

/**
 * Server URL: `--server` > `TRAINYARD_SERVER_URL` > http://127.0.0.1:8765.
 * Token: `TRAINYARD_SERVER_TOKEN` > `$TRAINYARD_HOME/auth_token` (default `~/.config/trainyard/auth_token`).
 */
export function resolveConnection(options: GlobalOptions, env: NodeJS.ProcessEnv): Connection {
  const raw = options.server ?? env.TRAINYARD_SERVER_URL ?? DEFAULT_SERVER_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--server must be a URL like ${DEFAULT_SERVER_URL}, got "${raw}"`, EXIT.invalid);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`--server must be an http:// or https:// URL, got "${raw}"`, EXIT.invalid);
  }
  const baseUrl = url.href.replace(/\/+$/, '');

  const fromEnv = env.TRAINYARD_SERVER_TOKEN?.trim();
  const home = env.TRAINYARD_HOME || join(homedir(), '.config', 'trainyard');
  if (fromEnv) return { baseUrl, token: fromEnv, tokenSource: 'TRAINYARD_SERVER_TOKEN', home };
  const file = join(home, 'auth_token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return { baseUrl, token, tokenSource: file, home };
    return { baseUrl, tokenSource: file, tokenProblem: 'empty', home };
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
    return { baseUrl, tokenSource: file, tokenProblem: why, home };
  }
}

/** What a command works with: the SDK client, the connection and the output mode. */
export class CliContext {
  readonly client: Client;
  readonly json: boolean;
  readonly colors: Record<'red' | 'green' | 'yellow' | 'cyan' | 'dim', Style>;

  constructor(
    readonly connection: Connection,
    options: GlobalOptions,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
  ) {
    this.client = createTrainyardClient({
      baseUrl: connection.baseUrl,
      token: connection.token,
      fetch: fetchThroughRestart(connection.home),
    });
    this.json = options.json === true;
    this.colors = palette(stdout.isTTY === true && !process.env.NO_COLOR);
  }

  /** Writes text to stdout as is. */
  print(text: string): void {
    this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Pretty JSON on stdout (for `--json`). */
  printJson(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** `--json`: the value; otherwise the human rendering. */
  output(value: unknown, human: () => string): void {
    if (this.json) this.printJson(value);
    else this.print(human());
  }
}

/** How long a request refused at connect is sent again while the server restarts (usually 3–5 s). */
export const RESTART_WAIT_MS = 60_000;
const RESTART_RETRY_MS = 200;

/**
 * `fetch`, sending a request again while the server restarts: between one worker and the next (a
 * restart, a reload, a respawn after a crash) nothing listens on the port for a few seconds and
 * connections are refused. A refused connection carried nothing, so sending it again is safe for any
 * request; it is retried only while `home`'s lock says a server is up, so a server that is not
 * running still fails at once.
 */
export function fetchThroughRestart(
  home: string,
  stderr: NodeJS.WritableStream = process.stderr,
): typeof fetch {
  return async (input, init) => {
    let deadline: number | null = null;
    for (;;) {
      try {
        // A Request's body can be read once: each try sends a copy.
        return await fetch(input instanceof Request ? input.clone() : input, init);
      } catch (err) {
        if (!refused(err)) throw err;
        if (deadline === null) {
          if ((await homeHolderPid(home)) === null) throw err;
          deadline = Date.now() + RESTART_WAIT_MS;
          stderr.write('trainyard: the server is restarting; waiting for it…\n');
        } else if (Date.now() > deadline || (await homeHolderPid(home)) === null) throw err;
        await new Promise((resolve) => setTimeout(resolve, RESTART_RETRY_MS));
      }
    }
  };
}

/** Whether `fetch` failed because the connection was refused (nothing listening on the port). */
function refused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  return cause?.code === 'ECONNREFUSED';
}
