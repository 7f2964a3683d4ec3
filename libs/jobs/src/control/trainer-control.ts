import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '@trainyard/core';

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

interface Endpoint {
  host: string;
  port: number;
  token: string | null;
}

export function readTrainerEndpoint(controlDir: string): Endpoint | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(controlDir, 'endpoint.json'), 'utf8'));
  } catch {
    return null;
  }
  const e = raw as { host?: unknown; port?: unknown; token_file?: unknown };
  if (typeof e.host !== 'string' || typeof e.port !== 'number' || !Number.isInteger(e.port)) return null;
  let token: string | null = null;
  if (typeof e.token_file === 'string') {
    try {
      token = readFileSync(e.token_file, 'utf8').trim();
    } catch {
      token = null;
    }
  }
  return { host: e.host, port: e.port, token };
}

export async function callTrainer(
  controlDir: string,
  method: 'GET' | 'POST',
  path: '/control' | '/status',
  body?: object,
): Promise<unknown> {
  const endpoint = readTrainerEndpoint(controlDir);
  if (!endpoint) {
    throw new DomainError(
      'TRAINER_ENDPOINT_UNKNOWN',
      'The trainer has not published a control endpoint (endpoint.json) yet; try again once it is running',
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
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    if (!res.ok)
      throw new DomainError('TRAINER_UNREACHABLE', `trainer answered ${res.status}: ${text.slice(0, 200)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return { response: text };
    }
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new DomainError(
      'TRAINER_UNREACHABLE',
      `trainer control endpoint ${host}:${endpoint.port} did not answer: ${(err as Error).message}`,
    );
  }
}
