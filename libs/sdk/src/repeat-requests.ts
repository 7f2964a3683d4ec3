/**
 * When a request may be sent again after its connection failed: the rules the SDK's client and the
 * CLI share. A refused connection carried nothing; a reset one (a server worker closing a kept-alive
 * socket as it restarts, or cutting a JSON answer) may have been acted on, so only a request the
 * server may get twice without harm is sent again.
 */

/** A read, or a request the server answers again with its first outcome (an `Idempotency-Key`). */
export function isRepeatable(request: Request): boolean {
  return request.method === 'GET' || request.method === 'HEAD' || request.headers.has('idempotency-key');
}

/** The system error code under a failed fetch (`ECONNREFUSED`, `ECONNRESET`, `UND_ERR_SOCKET`…). */
export function fetchErrorCode(err: unknown): string | undefined {
  const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The connection broke after the request may have gone out: repeat only a repeatable request. */
export function wasReset(err: unknown): boolean {
  const code = fetchErrorCode(err);
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET';
}

/** How long the SDK's client sends a repeatable request again after a reset (a restart's few seconds). */
export const RESET_RETRY_MS = 10_000;
const RETRY_EVERY_MS = 200;

/**
 * `fetch` that sends a repeatable request (see isRepeatable) again when its connection was reset,
 * every 200 ms for up to `forMs` (0: never): during a server restart the old worker closes its
 * kept-alive sockets, and a request sent on one meanwhile would fail though the next worker answers
 * it a moment later. Refused connections (a server that is down) fail at once, as before.
 */
export function repeatingResets(fetchImpl: typeof fetch, forMs = RESET_RETRY_MS): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    if (forMs <= 0 || !isRepeatable(request)) return fetchImpl(request);
    const started = Date.now();
    for (;;) {
      try {
        // A Request's body can be read once: each try sends a copy.
        return await fetchImpl(request.clone());
      } catch (err) {
        if (!wasReset(err) || request.signal.aborted || Date.now() - started >= forMs) throw err;
        await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
      }
    }
  };
}
