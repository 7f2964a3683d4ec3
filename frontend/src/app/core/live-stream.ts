import { DestroyRef, inject, signal } from '@angular/core';
import type { Stream, StreamClose } from '@trainyard/sdk';
import { ServerReachability, errorMessage } from './api';
import type { AuthStore } from './auth.store';
import { backoffMs } from './poll';

export type Connection = 'connecting' | 'live' | 'reconnecting';

/**
 * A server stream kept open: reconnects with backoff when it drops (1001 while the server restarts),
 * and stops trying once the session is gone (a refused upgrade looks like any failure in a browser).
 * `open` is called on every (re)connect with the callback to run on each frame. Construct it in an
 * injection context (a field of a service or component).
 */
export class LiveStream {
  readonly connection = signal<Connection>('connecting');
  /** Why live updates stopped, while reconnecting; null while the shell's outage banner says it all. */
  readonly error = signal<string | null>(null);
  private readonly reachability = inject(ServerReachability);

  private stream: Stream<StreamClose> | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly auth: AuthStore,
    private readonly open: (onFrame: () => void) => Stream<StreamClose>,
  ) {
    // The server is back (a restart ended): reconnect now rather than when the backoff ends.
    inject(DestroyRef).onDestroy(this.reachability.onBack(() => this.reconnectNow()));
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stream?.close();
    this.stream = null;
  }

  private reconnectNow(): void {
    if (this.stopped || this.retryTimer === undefined) return;
    this.connect();
  }

  private connect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.stopped) return;
    this.connection.set(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let stream: Stream<StreamClose>;
    try {
      stream = this.open(() => {
        this.attempt = 0;
        this.connection.set('live');
        this.error.set(null);
      });
    } catch (err) {
      void this.lost(errorMessage(err));
      return;
    }
    this.stream = stream;
    stream.closed.then(
      (close) =>
        this.stream === stream &&
        void this.lost(close.code === 1001 ? 'the server is restarting' : `closed (${close.code})`),
      (err: unknown) => this.stream === stream && void this.lost(errorMessage(err)),
    );
  }

  private async lost(reason: string): Promise<void> {
    if (this.stopped) return;
    this.stream = null;
    this.connection.set('reconnecting');
    const wasReachable = this.reachability.reachable();
    if (!(await this.auth.checkSession())) return;
    // That question may be the first the server answered after an outage: reconnect now.
    const delay = !wasReachable && this.reachability.reachable() ? 0 : backoffMs(this.attempt++);
    // Asking about the session above told whether the server answers at all; if not, the outage
    // banner is the one message.
    this.error.set(
      this.reachability.reachable()
        ? `Live updates interrupted: ${reason}. Reconnecting in ${Math.max(1, Math.round(delay / 1000))} s…`
        : null,
    );
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
