import { InjectionToken } from '@angular/core';
import {
  type Client,
  TrainyardApiError,
  TrainyardConnectionError,
  createTrainyardClient,
} from '@trainyard/sdk';

/**
 * The generated client, configured for the browser: same origin (`baseUrl: ''`) and the session
 * cookie (`credentials: 'same-origin'`). Every REST call of the console goes through it.
 */
export const API = new InjectionToken<Client>('Trainyard API client', {
  providedIn: 'root',
  factory: () => {
    const client = createTrainyardClient({ baseUrl: '' });
    client.setConfig({ credentials: 'same-origin', cache: 'no-store' });
    return client;
  },
});

/** Where the console's WebSockets connect: the page's own origin, authenticated by the cookie. */
export const STREAM_OPTIONS = { baseUrl: '' } as const;

/** A sentence for a toast or an inline error: the server's `message` when it sent one. */
export function errorMessage(err: unknown): string {
  if (err instanceof TrainyardApiError) return err.message;
  if (err instanceof TrainyardConnectionError) return 'The server did not answer. Is it still running?';
  if (err instanceof Error && err.message) return err.message;
  return 'Something went wrong. Check the server log.';
}

/** Validation failures by field (`job_params.argv` → message); empty for other errors. */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof TrainyardApiError)) return out;
  for (const detail of err.details) {
    const field = detail.field ?? '';
    out[field] = out[field] ? `${out[field]} ${detail.message}` : detail.message;
  }
  return out;
}

export function isStatus(err: unknown, status: number): boolean {
  return err instanceof TrainyardApiError && err.status === status;
}
