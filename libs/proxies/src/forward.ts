import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, errors, request as undiciRequest } from 'undici';
import { DomainError } from '@trainyard/core';

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus ones a proxy must set itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/** Copies `headers` without the hop-by-hop ones, those named in Connection, and `drop`. */
export function endToEndHeaders(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
  drop: readonly string[] = [],
): Record<string, string | string[]> {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const skip = new Set([...HOP_BY_HOP, ...named, ...drop.map((d) => d.toLowerCase())]);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !skip.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

/**
 * What an upstream's answer is sent with when it is data for the console's scripts, never a page of
 * ours (inference, dataset servers: their base is anyone's server): whatever it claims to be (an
 * HTML page, its own CSP), it is sandboxed — no script runs, and as an opaque origin it can read
 * nothing of ours — never sniffed, never framed. Served from our origin, an upstream's page with
 * script would otherwise run as the console, signed in.
 */
export const UNTRUSTED_ANSWER_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "sandbox; default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/** Upstream headers that would set browser policy for our origin (ours are kept instead). */
const BROWSER_POLICY_HEADERS =
  /^(content-security-policy(-report-only)?|x-frame-options|x-content-type-options|x-xss-protection|referrer-policy|permissions-policy|feature-policy|cross-origin-.*|strict-transport-security|access-control-.*|refresh|link|clear-site-data)$/i;

/** Sends `reply` as an untrusted answer (see UNTRUSTED_ANSWER_HEADERS). */
export function asUntrusted(reply: FastifyReply): FastifyReply {
  return reply.headers(UNTRUSTED_ANSWER_HEADERS);
}

/**
 * A request a page of another site (or of another port of this host: same-site) made the browser
 * send to a proxy route — a tab or frame navigated there, or a script's `no-cors` fetch, which needs
 * no CORS consent and carries the operator's cookie: refused before any upstream is asked. These
 * routes answer the console's own scripts; another page must not make the server fetch a URL of its
 * choosing with the operator's session, even blind. A tab the user opens (`Sec-Fetch-Site: none`),
 * our own pages, and clients that send no fetch metadata (the CLI, scripts) are not refused.
 */
export function refuseForeignRequest(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== 'cross-site' && site !== 'same-site') return;
  const dest = request.headers['sec-fetch-dest'];
  const what = !dest || dest === 'empty' ? 'script request' : dest;
  throw new DomainError(
    'FORBIDDEN',
    `${request.url.split('?')[0]} answers the console's requests, not a ${what} from another site (Sec-Fetch-Site: ${site})`,
  );
}

export interface ForwardOptions {
  /** The full upstream URL (path and query included). */
  url: URL;
  /**
   * The upstream serves pages of its own that must work here (TensorBoard's UI, from the job's own
   * server): its headers pass as sent. Otherwise (default) its answer is untrusted data: see
   * UNTRUSTED_ANSWER_HEADERS and refuseForeignRequest.
   */
  page?: boolean;
  method: string;
  headers: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Longest wait for the headers, and between body chunks; 0 = none. */
  timeoutMs: number;
  /** Adjusts the response headers before they go out (status and upstream headers given). */
  responseHeaders?: (status: number, headers: Record<string, string | string[]>) => void;
}

// One pool for every upstream; each request is its own stream, aborted with its client.
const agent = new Agent({ keepAliveTimeout: 10_000 });

const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** The upstream's failure as our error: timeouts → 504, anything that kept it from answering → 502. */
export function upstreamError(err: unknown, url: URL): DomainError {
  const where = `${url.protocol}//${url.host}`;
  const code = errorCode(err);
  if (
    err instanceof errors.HeadersTimeoutError ||
    err instanceof errors.ConnectTimeoutError ||
    err instanceof errors.BodyTimeoutError ||
    code === 'ETIMEDOUT'
  ) {
    return new DomainError('UPSTREAM_TIMEOUT', `Upstream ${where} did not answer in time (${code})`);
  }
  const why = code && CONNECT_FAILURES.has(code) ? code : (code ?? (err as Error)?.message ?? 'error');
  return new DomainError('UPSTREAM_UNREACHABLE', `Upstream ${where} could not be reached (${why})`);
}

function errorCode(err: unknown): string | undefined {
  let e = err as { code?: string; cause?: unknown; errors?: unknown[] } | undefined;
  // undici wraps socket errors; Node's happy-eyeballs connect throws an AggregateError of them.
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string' && e.code !== 'UND_ERR_SOCKET') return e.code;
    if (Array.isArray(e.errors) && e.errors.length) e = e.errors[0] as typeof e;
    else if (e.cause) e = e.cause;
    else return e.code;
  }
  return undefined;
}

/**
 * Streams one upstream answer to the client as it arrives: status and end-to-end headers as sent,
 * the body chunk by chunk (each written at once, paused while the client is not reading), never
 * following redirects. When the client goes away, before or during the answer, the upstream request
 * is aborted at once, closing its connection. Errors before the answer starts are thrown (502/504).
 */
export async function forward(
  request: FastifyRequest,
  reply: FastifyReply,
  options: ForwardOptions,
): Promise<void> {
  if (!options.page) refuseForeignRequest(request);
  const abort = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) abort.abort();
  };
  reply.raw.once('close', onClose);
  let upstream: Awaited<ReturnType<typeof undiciRequest>>;
  try {
    upstream = await undiciRequest(options.url, {
      dispatcher: agent,
      method: options.method as 'GET',
      headers: options.headers,
      body: options.body,
      signal: abort.signal,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  } catch (err) {
    reply.raw.off('close', onClose);
    if (abort.signal.aborted) return; // the client left; nobody to answer
    throw upstreamError(err, options.url);
  }
  if (abort.signal.aborted) {
    upstream.body.destroy();
    return;
  }
  const headers = endToEndHeaders(upstream.headers, ['set-cookie']);
  if (!options.page) {
    for (const name of Object.keys(headers)) if (BROWSER_POLICY_HEADERS.test(name)) delete headers[name];
    Object.assign(headers, UNTRUSTED_ANSWER_HEADERS);
  }
  options.responseHeaders?.(upstream.statusCode, headers);
  // A body error mid-stream (timeout, reset) can only cut the response short; the client sees it end.
  upstream.body.on('error', () => reply.raw.destroy());
  request.log.debug({ upstream: options.url.origin, status: upstream.statusCode }, 'proxying');
  return reply.code(upstream.statusCode).headers(headers).send(upstream.body);
}

/** The request body as received, for passing on (fastify parsed JSON; it goes back out as JSON). */
export function requestBody(request: FastifyRequest): string | Buffer | undefined {
  const body = request.body;
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || Buffer.isBuffer(body)) return body;
  return JSON.stringify(body);
}

/** Upstream answers read whole (small JSON/NDJSON pages), capped so a runaway upstream cannot fill memory. */
export const COLLECT_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * One upstream answer read to the end, for callers that reshape it. Null when the client left
 * meanwhile (the upstream request is aborted). Errors as for {@link forward}.
 */
export async function collect(
  request: FastifyRequest,
  reply: FastifyReply,
  options: Omit<ForwardOptions, 'responseHeaders' | 'page'>,
): Promise<{ status: number; contentType?: string; body: Buffer } | null> {
  refuseForeignRequest(request);
  const abort = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) abort.abort();
  };
  reply.raw.once('close', onClose);
  try {
    const upstream = await undiciRequest(options.url, {
      dispatcher: agent,
      method: options.method as 'GET',
      headers: options.headers,
      body: options.body,
      signal: abort.signal,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > COLLECT_LIMIT_BYTES) {
        upstream.body.destroy();
        throw new DomainError(
          'UPSTREAM_UNREACHABLE',
          `Upstream ${options.url.host} sent more than ${COLLECT_LIMIT_BYTES} bytes`,
        );
      }
      chunks.push(chunk);
    }
    const type = upstream.headers['content-type'];
    return {
      status: upstream.statusCode,
      contentType: typeof type === 'string' ? type : undefined,
      body: Buffer.concat(chunks),
    };
  } catch (err) {
    if (abort.signal.aborted) return null;
    if (err instanceof DomainError) throw err;
    throw upstreamError(err, options.url);
  } finally {
    reply.raw.off('close', onClose);
  }
}
