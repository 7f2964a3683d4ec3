import type { ErrorDetailDto } from './generated';

/** The server answered with an error status; `code`, `message` and `details` come from its error body. */
export class TrainyardApiError extends Error {
  override readonly name = 'TrainyardApiError';

  constructor(
    /** HTTP status (401, 404, ...). */
    readonly status: number,
    /** Stable machine-readable code (`VALIDATION_FAILED`, `JOB_NOT_FOUND`, ...); `HTTP_<status>` when the body had none. */
    readonly code: string,
    message: string,
    /** For validation failures: one entry per bad field (see `facts` for the errors that carry an object). */
    readonly details: ErrorDetailDto[] = [],
    /** The request URL. */
    readonly url?: string,
    /**
     * The object of facts a few errors carry as `details` for a client to act on (README "API"):
     * `GPU_NOT_FOUND` `{gpu_index, known_indices}`, a GPU kill's `CONFIRMATION_REQUIRED`
     * `{gpu_index, pids}`, `FILE_CHANGED` `{message, current_mtime, expected_mtime}`,
     * `TOO_MANY_LOGIN_ATTEMPTS` `{retry_after_seconds}`, `ALREADY_RETRIED` `{retried_as}`; null for
     * the others.
     */
    readonly facts: Record<string, unknown> | null = null,
  ) {
    super(message);
  }

  /**
   * Builds the error from an answer's status and (parsed or raw) body. The message is the body's
   * `message`, else (an upstream's answer through a proxy) an OpenAI-style `error.message` or
   * `error` text, else `HTTP <status>`.
   */
  static fromBody(status: number, body: unknown, url?: string): TrainyardApiError {
    const parsed = typeof body === 'string' ? tryParseJson(body) : body;
    if (parsed && typeof parsed === 'object') {
      const { code, message, details, error } = parsed as {
        code?: unknown;
        message?: unknown;
        details?: unknown;
        error?: unknown;
      };
      const upstream =
        typeof error === 'string' ? error : (error as { message?: unknown } | null | undefined)?.message;
      const text =
        typeof message === 'string' && message
          ? message
          : typeof upstream === 'string' && upstream
            ? upstream
            : `HTTP ${status}`;
      const facts =
        details && typeof details === 'object' && !Array.isArray(details)
          ? (details as Record<string, unknown>)
          : null;
      return new TrainyardApiError(
        status,
        typeof code === 'string' ? code : `HTTP_${status}`,
        text,
        Array.isArray(details) ? (details as ErrorDetailDto[]) : [],
        url,
        facts,
      );
    }
    const text = typeof body === 'string' ? body.trim() : '';
    return new TrainyardApiError(status, `HTTP_${status}`, text || `HTTP ${status}`, [], url);
  }
}

/** No answer at all: the server is down, the address is wrong, or the connection broke. */
export class TrainyardConnectionError extends Error {
  override readonly name = 'TrainyardConnectionError';

  constructor(
    /** The URL that could not be reached. */
    readonly url: string,
    /** The underlying error (its `cause.code` is often `ECONNREFUSED` in Node). */
    override readonly cause?: unknown,
  ) {
    super(`cannot reach ${url}${describeCause(cause)}`);
  }
}

/**
 * The server took the connection but sent no answer (an HTTP status line, a WebSocket upgrade)
 * within `timeoutMs`: stopped (SIGSTOP), stuck or overloaded. The `cause` of a
 * {@link TrainyardConnectionError}.
 */
export class AnswerTimeoutError extends Error {
  override readonly name = 'AnswerTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs / 1000} s`);
  }
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `: ECONNREFUSED` from fetch's `TypeError('fetch failed', { cause })`, or the error's own message. */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return '';
  const inner = (cause as { cause?: unknown }).cause;
  const code = (inner as { code?: unknown } | undefined)?.code ?? (cause as { code?: unknown }).code;
  if (typeof code === 'string') return ` (${code})`;
  const message = inner instanceof Error ? inner.message : cause.message;
  return message ? ` (${message})` : '';
}
