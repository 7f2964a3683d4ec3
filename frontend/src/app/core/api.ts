import { Injectable, InjectionToken, inject, signal } from '@angular/core';
import {
  type Client,
  TrainyardApiError,
  TrainyardConnectionError,
  createTrainyardClient,
} from '@trainyard/sdk';

/**
 * Whether the server answers, as the console's own requests find it: false from the first request
 * that got no answer (refused, reset, or a proxy's 502/504), true again from the next one that did.
 * Lost WebSockets ask the server whether the session holds, so they feed it too.
 */
@Injectable({ providedIn: 'root' })
export class ServerReachability {
  private readonly state = signal(true);
  readonly reachable = this.state.asReadonly();
  private readonly backListeners = new Set<() => void>();

  /** A fetch that reports each outcome here; the caller's own aborts say nothing about the server. */
  readonly fetch: typeof fetch = async (input, init) => {
    try {
      const response = await fetch(input, init);
      this.report(response.status !== 502 && response.status !== 504);
      return response;
    } catch (err) {
      const name = (err as { name?: unknown } | null)?.name;
      if (name !== 'AbortError' && name !== 'TimeoutError') this.report(false);
      throw err;
    }
  };

  /**
   * Calls `listener` each time the server answers again after it did not (a restart ended): live
   * streams waiting out a reconnect backoff of up to 15 s reconnect then. Returns the unsubscribe.
   */
  onBack(listener: () => void): () => void {
    this.backListeners.add(listener);
    return () => this.backListeners.delete(listener);
  }

  private report(answered: boolean): void {
    const was = this.state();
    this.state.set(answered);
    if (answered && !was) for (const listener of [...this.backListeners]) listener();
  }
}

/**
 * The generated client, configured for the browser: same origin (`baseUrl: ''`) and the session
 * cookie (`credentials: 'same-origin'`). Every REST call of the console goes through it.
 */
export const API = new InjectionToken<Client>('Trainyard API client', {
  providedIn: 'root',
  factory: () => {
    const client = createTrainyardClient({ baseUrl: '', fetch: inject(ServerReachability).fetch });
    client.setConfig({ credentials: 'same-origin', cache: 'no-store' });
    return client;
  },
});

/** Where the console's WebSockets connect: the page's own origin, authenticated by the cookie. */
export const STREAM_OPTIONS = { baseUrl: '' } as const;

/** {@link errorMessage} for a request the server never answered. */
export const SERVER_DID_NOT_ANSWER = 'The server did not answer (stopped or unreachable)';

/**
 * What went wrong, for a toast or an inline error: the server's `message` when it sent one. Like the
 * server's messages it is one clause without a closing full stop, so it reads right both alone and
 * inside a sentence (`Interrupted: ${errorMessage(err)}. Retrying…`).
 */
export function errorMessage(err: unknown): string {
  if (err instanceof TrainyardConnectionError) return SERVER_DID_NOT_ANSWER;
  const message = err instanceof Error ? err.message.trim() : '';
  return message ? message.replace(/\.+$/, '') : 'Something went wrong (see the server log)';
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
