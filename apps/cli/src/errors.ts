import { packageVersion } from './version';
import { TrainyardApiError, TrainyardConnectionError } from '@trainyard/sdk';

/** Exit codes, documented in README "CLI". */
export const EXIT = {
  ok: 0,
  failure: 1,
  /** Bad usage or a request the server rejected as invalid (400). */
  invalid: 2,
  /** No server answered at the URL. */
  unreachable: 3,
  /** The server refused the credentials (401). */
  unauthorized: 4,
  /** No such job, queue item or GPU (404). */
  notFound: 5,
  /**
   * The server could not tell whether the request was carried out (504 SUBMIT_OUTCOME_UNKNOWN: a
   * multi-node submit whose master went away): look it up before any retry.
   */
  outcomeUnknown: 6,
  /** Ctrl-C. */
  interrupted: 130,
} as const;

/** A failure with its one-line message and exit code; the entry point prints and exits with it. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

/** What the CLI knows about where it connected, to explain connection and auth failures. */
export interface ConnectionInfo {
  baseUrl: string;
  /** Where the token came from, or was looked for: `TRAINYARD_SERVER_TOKEN` or the token file's path. */
  tokenSource: string;
  /** Why there is no token (`missing`, `empty`, `unreadable`); undefined when there is one. */
  tokenProblem?: string;
  /**
   * Set when no URL was given and no server holds this state directory: `baseUrl` is only the
   * default port's guess, and a failure to reach it says so.
   */
  noServerHolds?: string;
}

/**
 * How a following command (`job tail`, `wait`) ends when its server stopped rather than restarted:
 * the jobs are not affected, and `rerun` picks up where it left off once the server is back.
 */
export function serverStoppedError(baseUrl: string, jobs: string, rerun: string): CliError {
  return new CliError(
    `the server at ${baseUrl} stopped (it is not restarting); ${jobs} — run \`${rerun}\` again once the server is back`,
    EXIT.unreachable,
  );
}

/** API fields shown with the flag a user typed, so `requested_gpus` reads `requested_gpus (--gpus)`. */
const FIELD_FLAGS: Record<string, string> = {
  job_type: '--type',
  requested_gpus: '--gpus',
  gpu_profile: '--gpu-profile',
  priority: '--priority',
  cwd: '--cwd',
  name: '--name',
  env: '--env',
  job_params: '--param',
  // A command job's argv is what follows `--`, not a --param.
  'job_params.argv': 'the command after --',
  time_limit_s: '--time-limit',
  kill_grace_s: '--kill-grace',
  log_cap_bytes: '--log-cap',
  preemptible: '--preemptible',
  depends_on: '--after',
  'array.count': '--array',
  'array.sweep': '--sweep',
  'array.max_running': '--max-running',
  status: '--status',
  sort: '--sort',
  order: '--order',
  limit: '--limit',
  // `runs list`
  project: '--project',
  q: '-q',
};

/** The flag of a field or of its nearest parent: `array.sweep.lr` → --sweep, `depends_on[2].queue_id` → --after. */
function flagOf(field: string): string | undefined {
  const parts = field.split(/(?=[.[])/);
  for (let n = parts.length; n > 0; n--) {
    const flag = FIELD_FLAGS[parts.slice(0, n).join('')];
    if (flag) return flag;
  }
  return undefined;
}

/** `requested_gpus is 5 but ... (--gpus)`, or `cwd (--cwd): must be ...` when the message does not name it. */
export function formatFieldError(detail: { field?: string; message: string }): string {
  const { field, message } = detail;
  if (!field) return message;
  const flag = flagOf(field);
  if (message.includes(field)) return flag ? `${message} (${flag})` : message;
  return `${field}${flag ? ` (${flag})` : ''}: ${message}`;
}

/**
 * A failed write of the CLI's own output, or null for any other error. The CLI writes no files of
 * its own, so a `write` error is stdout or stderr failing: a full disk (ENOSPC, `> /dev/full`) or
 * a closed descriptor (EBADF) is exit 1 with one line, as coreutils' "write error", which also
 * says `lost` (what the command wrote to stdout) when that is one short line; EPIPE — the reader
 * went away (`| head`) — is not an error: exit 0, nothing said.
 */
export function outputWriteFailure(error: unknown, lost = ''): CliError | null {
  const { syscall, code, message } = (error ?? {}) as NodeJS.ErrnoException;
  if (syscall !== 'write') return null;
  if (code === 'EPIPE') return new CliError('', EXIT.ok);
  // The command was carried out all the same (a job submitted): a short answer — an id — is said here,
  // so a script that retries on failure can tell it need not run the command again.
  const line = lost.trim();
  const said = line && !line.includes('\n') && line.length <= 200 ? `; the output was: ${line}` : '';
  return new CliError(
    `cannot write the output: ${message} (the command was carried out${said})`,
    EXIT.failure,
  );
}

/** Maps anything thrown by a command to the message and exit code the user sees. */
export function toCliError(error: unknown, connection: ConnectionInfo): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof TrainyardConnectionError) {
    if ((error.cause as { name?: unknown } | undefined)?.name === 'AnswerTimeoutError') {
      return new CliError(
        `the Trainyard server at ${connection.baseUrl} took the connection but sent no answer within ` +
          `${(error.cause as { timeoutMs: number }).timeoutMs / 1000} s (stopped, stuck or overloaded?); ` +
          'TRAINYARD_TIMEOUT sets the wait in seconds',
        EXIT.unreachable,
      );
    }
    const why = error.message.replace(/^cannot reach \S+/, '').trim();
    if (connection.noServerHolds)
      return new CliError(
        `no Trainyard server is running for ${connection.noServerHolds} (TRAINYARD_HOME) and none answers ` +
          `at ${connection.baseUrl}${why ? ` ${why}` : ''}; start one with \`trainyard server\`, or set the ` +
          'URL with --server or TRAINYARD_SERVER_URL',
        EXIT.unreachable,
      );
    return new CliError(
      `cannot reach the Trainyard server at ${connection.baseUrl}${why ? ` ${why}` : ''}; ` +
        'is it running? (set the URL with --server or TRAINYARD_SERVER_URL)',
      EXIT.unreachable,
    );
  }
  if (error instanceof TrainyardApiError) {
    if (error.code === 'SUBMIT_OUTCOME_UNKNOWN') return new CliError(error.message, EXIT.outcomeUnknown);
    switch (error.status) {
      case 400: {
        const fields = error.details.map(formatFieldError);
        const detail = fields.length ? fields.join('; ') : error.message;
        return new CliError(`invalid request: ${detail}`, EXIT.invalid);
      }
      case 401:
        return new CliError(
          connection.tokenProblem
            ? `the server at ${connection.baseUrl} needs a token (401) and none was found: ` +
                `${connection.tokenSource} is ${connection.tokenProblem}; set TRAINYARD_SERVER_TOKEN, ` +
                "or TRAINYARD_HOME to the server's state directory"
            : `the server at ${connection.baseUrl} rejected the token from ${connection.tokenSource} (401)` +
                (connection.tokenSource === 'TRAINYARD_SERVER_TOKEN'
                  ? ''
                  : '; the server writes a new one when started with --regen-token'),
          EXIT.unauthorized,
        );
      case 404:
      case 405:
        // Not a missing job but a request the server does not take: another program on the port,
        // or a Trainyard older than this CLI. "Not found" (exit 5) would read as "no such job".
        if (error.status === 405 || error.code === 'ROUTE_NOT_FOUND' || error.code === 'HTTP_404') {
          // A body without a code is not Trainyard's: its text (a web page?) is not repeated.
          const answer =
            error.code === 'HTTP_404' ? '404 without a Trainyard error' : `${error.status}: ${error.message}`;
          return new CliError(
            `the server at ${connection.baseUrl} does not take this request (${answer}); is it a ` +
              `Trainyard server as new as this CLI (${packageVersion()})?`,
            EXIT.failure,
          );
        }
        return new CliError(error.message, EXIT.notFound);
      default:
        return new CliError(`${error.message} (${error.status} ${error.code})`, EXIT.failure);
    }
  }
  return new CliError(`unexpected error: ${error instanceof Error ? error.message : String(error)}`);
}
