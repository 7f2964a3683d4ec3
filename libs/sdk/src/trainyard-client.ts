import { type Client, createClient, createConfig } from './generated/client';
import { TrainyardApiError, TrainyardConnectionError } from './errors';
import { RESET_RETRY_MS, repeatingResets } from './repeat-requests';

export interface TrainyardClientOptions {
  /** Server origin, e.g. `http://127.0.0.1:8765`. In a browser, leave it empty for the page's own origin. */
  baseUrl?: string;
  /**
   * The bearer token (`$TRAINYARD_HOME/auth_token`), sent as `Authorization: Bearer`. Browsers leave it
   * out: the session cookie goes with same-origin requests.
   */
  token?: string;
  /** A fetch implementation (default: the global one, Node ≥ 20 or the browser's). */
  fetch?: typeof fetch;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  /**
   * How long a GET/HEAD, or a request with an `Idempotency-Key`, is sent again when its connection
   * was reset (a server restarting closes its kept-alive sockets), in ms; 0: never. Default 10 s.
   */
  resetRetryMs?: number;
}

/**
 * `fetch` that reads a JSON answer's body before it resolves (bodies are small; a log or a stream is
 * not JSON and is left to the caller). A connection cut mid-body — a server worker exiting as it
 * answers — then fails like a refused or reset one, at the fetch: the client's caller gets a
 * {@link TrainyardConnectionError}, and a fetch that sends a reset request again (the CLI's) sends
 * this one too, instead of an unexplained `terminated` while the body is parsed.
 */
export function readingJsonWhole(fetchImpl?: typeof fetch): typeof fetch {
  // Called detached: a browser's fetch refuses any `this` but the window.
  return async (input, init) => withWholeJsonBody(await (fetchImpl ?? fetch)(input, init));
}

/** The answer with its JSON body already read (rejects as fetch does when the body is cut); others as they are. */
export async function withWholeJsonBody(response: Response): Promise<Response> {
  if (!response.body || !/\bjson\b/i.test(response.headers.get('content-type') ?? '')) return response;
  const body = await response.arrayBuffer();
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/**
 * A client for the generated functions: `await getJob({ client, path: { queue_id } })`.
 *
 * Every call resolves with `{ data, request, response }` on success and throws otherwise:
 * (a GET, or a request with an `Idempotency-Key`, whose connection was reset is sent again first:
 * see `resetRetryMs`)
 * {@link TrainyardApiError} when the server answered with an error status (status, code, message,
 * details), {@link TrainyardConnectionError} when it could not be reached.
 */
export function createTrainyardClient(options: TrainyardClientOptions = {}): Client {
  const { token } = options;
  const client = createClient(
    createConfig({
      baseUrl: (options.baseUrl ?? '').replace(/\/+$/, ''),
      // JSON read whole inside the repeat, so an answer cut mid-body is sent again too.
      fetch: repeatingResets(readingJsonWhole(options.fetch), options.resetRetryMs ?? RESET_RETRY_MS),
      headers: options.headers,
      throwOnError: true,
      // Operations list bearer, cookie and ?token= schemes; the token only goes in the header.
      auth: (scheme) => (scheme.type === 'http' && scheme.scheme === 'bearer' ? token : undefined),
    }),
  );
  client.interceptors.error.use((error, response, request) => {
    if (error instanceof TrainyardApiError || error instanceof TrainyardConnectionError) return error;
    const url = request?.url ?? options.baseUrl ?? '';
    if (!response) {
      // A caller's AbortSignal stays what it is; anything else means fetch itself failed (refused, DNS, reset).
      const name = (error as { name?: unknown } | null)?.name;
      if (name === 'AbortError' || name === 'TimeoutError') return error;
      return new TrainyardConnectionError(url, error);
    }
    return TrainyardApiError.fromBody(response.status, error, url);
  });
  return client;
}
