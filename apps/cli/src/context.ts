import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  AnswerTimeoutError,
  type Client,
  createTrainyardClient,
  fetchErrorCode,
  isRepeatable,
  wasReset,
  withWholeJsonBody,
} from '@trainyard/sdk';
import { homeHolder } from '../../server/src/home-lock';
import { CliError, ConnectionInfo, EXIT } from './errors';
import { colorsWanted, palette, Style } from './format';

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
  /** How long a request waits for the server's answer, ms ({@link ANSWER_TIMEOUT_MS}); 0: no limit. */
  answerTimeoutMs?: number;
}

/**
 * How long a request waits for the server to answer (its status line and headers) by default: a
 * server that accepts connections but does not answer — stopped (SIGSTOP), stuck, or a network
 * path that drops packets — must not hang a script for ever. Above the server's own longest wait
 * (a cluster submit forwarded to a member: 60 s). `TRAINYARD_TIMEOUT` (seconds, 0 = none) sets it.
 */
export const ANSWER_TIMEOUT_MS = 120_000;

/** `TRAINYARD_TIMEOUT`: seconds (a decimal number ≥ 0; 0 = no limit), or the default. */
function answerTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env.TRAINYARD_TIMEOUT?.trim();
  if (!raw) return ANSWER_TIMEOUT_MS;
  const seconds = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(seconds)) {
    throw new CliError(
      `TRAINYARD_TIMEOUT must be a number of seconds (0 = no limit), got "${raw}"`,
      EXIT.invalid,
    );
  }
  return Math.round(seconds * 1000);
}

/**
 * `TRAINYARD_SERVER_URL`, or undefined when it is unset or empty (blank): an empty variable is treated
 * as unset, as `NO_COLOR` and most tools do with `VAR=` (`env -u` is not always at hand).
 */
export function serverUrlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.TRAINYARD_SERVER_URL?.trim();
  return value ? value : undefined;
}

/**
 * Server URL: `--server` > `TRAINYARD_SERVER_URL` > `localUrl` (see {@link localServerUrl}) >
 * http://127.0.0.1:8765. Token: `TRAINYARD_SERVER_TOKEN` > `$TRAINYARD_HOME/auth_token` (default
 * `~/.config/trainyard/auth_token`).
 */
export function resolveConnection(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv,
  localUrl?: string | null,
): Connection {
  const fromVariable = options.server === undefined ? serverUrlFromEnv(env) : undefined;
  const raw = options.server ?? fromVariable ?? localUrl ?? DEFAULT_SERVER_URL;
  // Name where the URL came from: a bad TRAINYARD_SERVER_URL is not a bad --server.
  const source =
    options.server !== undefined
      ? '--server'
      : fromVariable !== undefined
        ? 'TRAINYARD_SERVER_URL'
        : 'the server URL';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`${source} must be a URL like ${DEFAULT_SERVER_URL}, got "${raw}"`, EXIT.invalid);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`${source} must be an http:// or https:// URL, got "${raw}"`, EXIT.invalid);
  }
  const baseUrl = url.href.replace(/\/+$/, '');
  const where = { baseUrl, answerTimeoutMs: answerTimeoutMs(env) };

  const fromEnv = env.TRAINYARD_SERVER_TOKEN?.trim();
  const home = stateDirectory(env);
  if (fromEnv)
    return {
      ...where,
      token: checkToken(fromEnv, 'TRAINYARD_SERVER_TOKEN'),
      tokenSource: 'TRAINYARD_SERVER_TOKEN',
      home,
    };
  const file = join(home, 'auth_token');
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
    return { ...where, tokenSource: file, tokenProblem: why, home };
  }
  if (token) return { ...where, token: checkToken(token, file), tokenSource: file, home };
  return { ...where, tokenSource: file, tokenProblem: 'empty', home };
}

/** The state directory the CLI reads its token from and asks about its server: `TRAINYARD_HOME` or the default. */
export function stateDirectory(env: NodeJS.ProcessEnv): string {
  return env.TRAINYARD_HOME || join(homedir(), '.config', 'trainyard');
}

/** How long the CLI waits for a server that holds its state directory to start listening. */
export const START_WAIT_MS = 60_000;
const START_POLL_MS = 100;

/**
 * The URL of the server that holds state directory `home`, as its lock tells (the port it listens
 * on), over loopback: `TRAINYARD_HOME=/srv/ty trainyard …` reaches a server started there with
 * `--port 9000` without a URL. Null when no server holds it. A server that holds it but does not
 * listen yet (just started: migrations, its first worker) is waited for, up to `waitMs`, saying so
 * on `stderr` once; past that a {@link CliError} (exit 3) names it — never another port.
 */
export async function localServerUrl(
  home: string,
  {
    waitMs = START_WAIT_MS,
    stderr = process.stderr,
  }: { waitMs?: number; stderr?: NodeJS.WritableStream } = {},
): Promise<string | null> {
  const since = Date.now();
  let said = false;
  for (;;) {
    const holder = await homeHolder(home);
    if (!holder) return null;
    // Its port is only its word: never send the token there (see home-lock.ts).
    if (!holder.proven)
      throw new CliError(
        `the lock of ${home} is held by ${holder.pid ? `pid ${holder.pid}` : 'a process'}, which cannot prove it is ` +
          "this directory's Trainyard server (another local user's process, or a server older than this CLI): " +
          'nothing was sent to it; give the server’s URL with --server or TRAINYARD_SERVER_URL to reach it anyway',
        EXIT.unreachable,
      );
    // Where it listens: 127.0.0.1 unless it is bound to one address alone (`--host 10.0.0.5`).
    if (holder.port) return `http://${holder.host ?? '127.0.0.1'}:${holder.port}`;
    if (Date.now() - since >= waitMs)
      throw new CliError(
        `the server holding ${home} (pid ${holder.pid}) has not started listening after ${waitMs / 1000} s; ` +
          'its log says why',
        EXIT.unreachable,
      );
    if (!said) stderr.write('trainyard: the server is starting; waiting for it…\n');
    said = true;
    await new Promise((resolve) => setTimeout(resolve, START_POLL_MS));
  }
}

/**
 * A token goes in an HTTP header: printable ASCII without spaces (the server's are base64url). One
 * with a line break, a space or a control character inside (a paste gone wrong) is refused here,
 * naming where it came from — no request could carry it.
 */
function checkToken(token: string, source: string): string {
  if (/^[\x21-\x7e]+$/.test(token)) return token;
  throw new CliError(
    `the token from ${source} is not one the server could have issued: it has a space, a line break ` +
      'or another character a header cannot carry inside it',
    EXIT.unauthorized,
  );
}

/** What a command works with: the SDK client, the connection and the output mode. */
export class CliContext {
  readonly client: Client;
  readonly json: boolean;
  readonly colors: Record<'red' | 'green' | 'yellow' | 'cyan' | 'dim', Style>;
  /**
   * The terminal's width when stdout is one (80 when it does not say), for tables to fit it;
   * undefined into a file or a pipe, where a script wants every line whole.
   */
  readonly terminalWidth: number | undefined;

  constructor(
    readonly connection: Connection,
    options: GlobalOptions,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {
    this.client = this.clientWith();
    this.json = options.json === true;
    this.colors = palette(colorsWanted(process.env, stdout.isTTY === true));
    this.terminalWidth = stdout.isTTY === true ? stdout.columns || 80 : undefined;
  }

  /**
   * A client for this connection; `options`: what its requests are not sent again for (see
   * {@link fetchThroughRestart}).
   */
  clientWith(options: RepeatOptions = {}): Client {
    return createTrainyardClient({
      baseUrl: this.connection.baseUrl,
      token: this.connection.token,
      fetch: fetchThroughRestart(this.connection, process.stderr, options),
      resetRetryMs: 0, // fetchThroughRestart decides what is sent again, and for how long
    });
  }

  /** Writes text to stdout as is. */
  print(text: string): void {
    this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /**
   * A line for the person at the terminal, not data — "no jobs", "100 of 250 shown (--limit …)" — on
   * stderr as `trainyard: <text>`, as the CLI's other notes, so that stdout holds only what a pipe or
   * `wc -l` should count. Say nothing with `--json` (an empty list is `[]` there).
   */
  note(text: string): void {
    if (this.json) return;
    this.stderr.write(`trainyard: ${text.replace(/\n$/, '')}\n`);
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

/** How long a request is sent again while a server holding our state directory restarts (usually 3–5 s). */
export const RESTART_WAIT_MS = 60_000;
/** How long without that knowledge (the token came from the environment): a restart's few seconds. */
export const UNKNOWN_SERVER_WAIT_MS = 10_000;
const RESTART_RETRY_MS = 200;

/** Why it is still worth trying a server that stopped answering, and for how long in all. */
export interface ServerAway {
  /** The state directory's lock is held: the server is up, replacing its worker (a restart). */
  restarting: boolean;
  /**
   * How long, since it stopped answering, it is worth waiting in all: {@link RESTART_WAIT_MS} or
   * {@link UNKNOWN_SERVER_WAIT_MS}.
   */
  waitMs: number;
}

/**
 * Whether to keep trying a server that has not answered since `lostSince` (epoch ms): the one
 * decision behind every wait of the CLI (a request, `job tail`, `wait`). Asked on each try, so a
 * server that stops meanwhile ends the wait. While the state directory's lock says its server is up
 * on the port the CLI talks to, up to {@link RESTART_WAIT_MS}; when the token came from that
 * directory and its lock is free, the server is stopped: null at once; otherwise (the token came
 * from the environment, or the directory's server listens on another port: the server asked is
 * another one) up to {@link UNKNOWN_SERVER_WAIT_MS}. Null: give up.
 */
export async function serverAway(
  connection: Pick<Connection, 'home' | 'tokenSource' | 'baseUrl'>,
  lostSince: number,
): Promise<ServerAway | null> {
  const found = await homeHolder(connection.home);
  const holder = found?.proven ? found : null; // another process's word says nothing of a restart
  if (!holder && connection.tokenSource === join(connection.home, 'auth_token')) return null;
  // The address the local server is reached at (localServerUrl); the URL parser already writes its
  // other spellings (`127.1`, `0x7f.1`) so. Not `localhost` (it may resolve to ::1) or another host:
  // another socket, another server.
  const restarting =
    holder !== null &&
    new URL(connection.baseUrl).hostname === (holder.host ?? '127.0.0.1') &&
    (holder.port === null || holder.port === portOf(connection.baseUrl));
  const waitMs = restarting ? RESTART_WAIT_MS : UNKNOWN_SERVER_WAIT_MS;
  return Date.now() - lostSince < waitMs ? { restarting, waitMs } : null;
}

/** The TCP port a URL names, its scheme's default when it names none. */
function portOf(url: string): number {
  const { port, protocol } = new URL(url);
  return port ? Number(port) : protocol === 'https:' ? 443 : 80;
}

/**
 * `fetch`, sending a request again while the server restarts: between one worker and the next (a
 * restart, a reload, a respawn after a crash) nothing listens on the port for a few seconds. Each
 * try waits at most `answerTimeoutMs` for the answer's headers (then rejects with
 * {@link AnswerTimeoutError}, not sent again: that server is up, and may have acted on it); the
 * body that follows is not timed (a log, a stream).
 *
 * What is sent again: a refused connection carried nothing, so any request; a connection reset
 * (a worker killed mid-request, or cut while sending a JSON answer, which is read whole here) only
 * a request that is safe to repeat — GET/HEAD, or one with an `Idempotency-Key` (the server answers
 * a repeat with the first outcome). For how long: {@link serverAway} decides (a stopped server: not
 * at all). A 503 answer to a request safe to repeat (the server is up but cannot answer now: its
 * database busy, a worker closing) is asked again after its `Retry-After`, for up to
 * {@link UNKNOWN_SERVER_WAIT_MS}; then it is the answer.
 */
export function fetchThroughRestart(
  connection: Pick<Connection, 'home' | 'tokenSource' | 'answerTimeoutMs'>,
  stderr: NodeJS.WritableStream = process.stderr,
  { answerAtOnce = [] }: RepeatOptions = {},
): typeof fetch {
  const timeoutMs = connection.answerTimeoutMs ?? ANSWER_TIMEOUT_MS;
  return async (input, init) => {
    const request = new Request(input, init);
    let lostSince: number | null = null;
    let busySince: number | null = null;
    for (;;) {
      try {
        // A Request's body can be read once: each try sends a copy.
        const response = await withWholeJsonBody(await fetchWithin(request.clone(), timeoutMs));
        lostSince = null;
        if (response.status !== 503 || !isRepeatable(request)) return response;
        if (answerAtOnce.length && answerAtOnce.includes(await errorCodeOf(response))) return response;
        busySince ??= Date.now();
        if (Date.now() - busySince >= UNKNOWN_SERVER_WAIT_MS) return response;
        await new Promise((resolve) => setTimeout(resolve, retryAfterMs(response)));
      } catch (err) {
        if (!worthRepeating(err, request)) throw err;
        const first = lostSince === null;
        lostSince ??= Date.now();
        const away = await serverAway({ ...connection, baseUrl: request.url }, lostSince);
        if (!away) throw err;
        if (first)
          stderr.write(
            away.restarting
              ? 'trainyard: the server is restarting; waiting for it…\n'
              : `trainyard: no answer from ${new URL(request.url).origin}; trying again for ${away.waitMs / 1000} s in case it is restarting…\n`,
          );
        await new Promise((resolve) => setTimeout(resolve, RESTART_RETRY_MS));
      }
    }
  };
}

export interface RepeatOptions {
  /**
   * 503 error codes answered at once rather than asked again: the caller waits in its own way
   * (`cluster tail` says that a rank's node is unreachable, then waits for it as long as it takes).
   */
  answerAtOnce?: readonly string[];
}

/** An error answer's `code` ('' when it has none). */
async function errorCodeOf(response: Response): Promise<string> {
  const body = (await response
    .clone()
    .json()
    .catch(() => null)) as { code?: unknown } | null;
  return typeof body?.code === 'string' ? body.code : '';
}

/** `fetch`, rejecting with {@link AnswerTimeoutError} when no answer has come within `ms` (0: none). */
async function fetchWithin(request: Request, ms: number): Promise<Response> {
  if (ms <= 0) return fetch(request);
  const timer = new AbortController();
  const timeout = setTimeout(() => timer.abort(new AnswerTimeoutError(ms)), ms);
  try {
    return await fetch(request, { signal: AbortSignal.any([request.signal, timer.signal]) });
  } finally {
    clearTimeout(timeout); // the answer came (or the request failed): its body is not timed
  }
}

/** Whether `fetch` failed in a way a restart explains and that `request` may be sent again after. */
function worthRepeating(err: unknown, request: Request): boolean {
  return fetchErrorCode(err) === 'ECONNREFUSED' || (isRepeatable(request) && wasReset(err));
}

/** A 503's `Retry-After` in ms (seconds form; 1 s when absent or a date), kept within 0.2–5 s. */
function retryAfterMs(response: Response): number {
  const seconds = Number(response.headers.get('retry-after') ?? '1');
  return Math.min(5_000, Math.max(RESTART_RETRY_MS, Number.isFinite(seconds) ? seconds * 1000 : 1000));
}
