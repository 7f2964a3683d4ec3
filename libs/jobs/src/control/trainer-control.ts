import { join } from 'node:path';
import { DomainError } from '@trainyard/core';
import { readRegularFileSync } from '../job-written-files';

/**
 * The trainer control protocol. A job gets TRAINYARD_JOB_ID and TRAINYARD_CONTROL_DIR; a trainer
 * that wants stop/save/save-stop writes `$TRAINYARD_CONTROL_DIR/endpoint.json`:
 *   {"host": "127.0.0.1", "port": 40123, "token_file": "/path/to/token"}   (token_file optional)
 * and serves `POST http://host:port/control` with body `{"action": "stop"|"save"|"save-stop"}`
 * (answer 2xx with any JSON) and `GET /status` (any JSON), checking `Authorization: Bearer <token>`
 * when a token file is given.
 */
export const TRAINER_ACTIONS = ['stop', 'save', 'save-stop'] as const;
export type TrainerAction = (typeof TRAINER_ACTIONS)[number];

/** The file in a job's control directory where its trainer publishes its control endpoint. */
export const TRAINER_ENDPOINT_FILE = 'endpoint.json';

interface Endpoint {
  host: string;
  port: number;
  token: string | null;
}

export function readTrainerEndpoint(controlDir: string): Endpoint | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readRegularFileSync(join(controlDir, TRAINER_ENDPOINT_FILE)));
  } catch {
    return null;
  }
  const e = raw as { host?: unknown; port?: unknown; token_file?: unknown };
  if (typeof e.host !== 'string' || typeof e.port !== 'number' || !Number.isInteger(e.port)) return null;
  let token: string | null = null;
  if (typeof e.token_file === 'string') {
    try {
      token = readRegularFileSync(e.token_file).trim();
    } catch {
      token = null;
    }
  }
  return { host: e.host, port: e.port, token };
}

/** A trainer's answer is read up to this size; a bigger one is refused (the trainer is not trusted). */
export const MAX_TRAINER_ANSWER_BYTES = 64 * 1024;

/**
 * Calls the trainer's endpoint and returns its JSON answer (`{response: text}` when not JSON).
 * Throws TRAINER_ENDPOINT_UNKNOWN (409) before endpoint.json exists, UPSTREAM_TIMEOUT (504) when it
 * does not answer within `timeoutMs` (its message says that the request may still be acted on), and
 * TRAINER_UNREACHABLE (502) when it cannot be reached or answers non-2xx or more than 64 KiB.
 */
export async function callTrainer(
  controlDir: string,
  method: 'GET' | 'POST',
  path: '/control' | '/status',
  body?: object,
  timeoutMs = 5000,
): Promise<unknown> {
  const endpoint = readTrainerEndpoint(controlDir);
  if (!endpoint) {
    throw new DomainError(
      'TRAINER_ENDPOINT_UNKNOWN',
      'The job has no trainer control endpoint (endpoint.json): a trainer using the Trainyard callback ' +
        'publishes one once it runs; any other job is stopped with kill (SIGTERM) or abort',
    );
  }
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  try {
    const res = await fetch(`http://${host}:${endpoint.port}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(endpoint.token ? { authorization: `Bearer ${endpoint.token}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await readBounded(res);
    if (!res.ok)
      throw new DomainError('TRAINER_UNREACHABLE', `trainer answered ${res.status}: ${text.slice(0, 200)}`);
    try {
      return JSON.parse(withoutNonFinite(text)) as unknown;
    } catch {
      return { response: text };
    }
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new DomainError(
      (err as Error).name === 'TimeoutError' ? 'UPSTREAM_TIMEOUT' : 'TRAINER_UNREACHABLE',
      unansweredMessage(`${host}:${endpoint.port}`, err, timeoutMs),
    );
  }
}

/** Connection errors raised before anything was sent: the trainer cannot have seen the request. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/**
 * Says whether the trainer may have received the request: after a timeout or a connection cut
 * mid-request it may (and may still act on it), so the caller must not read the error as "nothing happened".
 */
function unansweredMessage(address: string, err: unknown, timeoutMs: number): string {
  const where = `trainer control endpoint ${address}`;
  if ((err as Error).name === 'TimeoutError')
    return `${where} did not answer within ${timeoutMs / 1000} s; it may still act on the request`;
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const why = typeof cause?.message === 'string' ? cause.message : (err as Error).message;
  if (typeof cause?.code === 'string' && NOT_SENT_CODES.has(cause.code))
    return `${where} could not be reached (${cause.code}); the request was not delivered`;
  // fetch never dials the ports on the Fetch standard's "bad port" list (6000, 6665-6669, ...).
  if (why === 'bad port')
    return `${where} could not be reached (a port fetch refuses to call); the request was not delivered`;
  return `${where} failed before answering (${why}); it may have received the request`;
}

async function readBounded(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early (the throw) cancels the rest of the body.
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_TRAINER_ANSWER_BYTES)
      throw new DomainError(
        'TRAINER_UNREACHABLE',
        `trainer answered more than ${MAX_TRAINER_ANSWER_BYTES} bytes`,
      );
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Python's `json.dumps` writes NaN / Infinity bare, which JSON.parse rejects: a diverged loss would
 * lose the whole answer. They become null (inside a string they become "null", harmless here).
 */
function withoutNonFinite(text: string): string {
  return text.replace(/-?\bInfinity\b|\bNaN\b/g, 'null');
}
