import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Client, createTrainyardClient } from '@trainyard/sdk';
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
  if (fromEnv) return { baseUrl, token: fromEnv, tokenSource: 'TRAINYARD_SERVER_TOKEN' };
  const home = env.TRAINYARD_HOME || join(homedir(), '.config', 'trainyard');
  const file = join(home, 'auth_token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return { baseUrl, token, tokenSource: file };
    return { baseUrl, tokenSource: file, tokenProblem: 'empty' };
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
    return { baseUrl, tokenSource: file, tokenProblem: why };
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
    this.client = createTrainyardClient({ baseUrl: connection.baseUrl, token: connection.token });
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
