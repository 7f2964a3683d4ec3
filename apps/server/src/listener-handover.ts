import type { ChildProcess } from 'node:child_process';
import type { Server } from 'node:net';

/**
 * A restart without refused connections. The worker that restarts hands its listening socket to the
 * supervisor before it closes; the supervisor keeps it — open, never accepting — until the next
 * worker asks for it and listens on it. Meanwhile the kernel queues new connections in the socket's
 * backlog (511), so a client connecting during the restart waits a few seconds for its answer
 * instead of being refused. (As nginx or gunicorn keep their listening socket across a reload.)
 *
 * What crosses the IPC channel is the socket's native handle, not a `net.Server`: a received server
 * starts accepting in the receiver at once, and the supervisor must never accept. A worker that dies
 * unexpectedly hands nothing over: the next one binds the port again (a gap of refused connections).
 */
export const LISTENER_MESSAGE = 'trainyard:listener';
export const LISTENER_REQUEST = 'trainyard:listener?';

/** Where a handed-over socket listens; `host: null` in an answer: the supervisor has none. */
export interface ListenerMessage {
  type: typeof LISTENER_MESSAGE;
  host: string | null;
  port: number;
}
export interface ListenerRequest {
  type: typeof LISTENER_REQUEST;
}

/** libuv's TCP handle (Node's TCPWrap) as it travels between processes; what `listen({ handle })` takes. */
export interface NativeListener {
  close(): void;
}

const ANSWER_TIMEOUT_MS = 2000;

/** Worker, when it restarts: the listening socket goes to the supervisor (resolves once sent). */
export function handOverListener(server: Server, host: string): Promise<void> {
  const handle = (server as unknown as { _handle?: NativeListener | null })._handle;
  const address = server.address();
  if (!process.send || !handle || !address || typeof address === 'string') return Promise.resolve();
  const message: ListenerMessage = { type: LISTENER_MESSAGE, host, port: address.port };
  return new Promise((resolve) => process.send!(message, handle as never, undefined, () => resolve()));
}

/**
 * Worker, before it listens: the socket its predecessor handed over, if it listens on `host:port`;
 * null when there is none (a first start, a crash) or it listens elsewhere (the config changed:
 * it is closed, and the connections waiting on it are reset).
 */
export function takeOverListener(host: string, port: number): Promise<NativeListener | null> {
  if (!process.send) return Promise.resolve(null);
  return new Promise((resolve) => {
    const done = (listener: NativeListener | null) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve(listener);
    };
    const onMessage = (message: ListenerMessage, handle?: NativeListener) => {
      if (message?.type !== LISTENER_MESSAGE) return;
      if (handle && message.host === host && message.port === port) return done(handle);
      handle?.close();
      done(null);
    };
    const timer = setTimeout(() => done(null), ANSWER_TIMEOUT_MS);
    process.on('message', onMessage);
    process.send!({ type: LISTENER_REQUEST } satisfies ListenerRequest);
  });
}

/** Supervisor: keeps the socket a restarting worker handed over until the next worker asks for it. */
export class ListenerKeeper {
  private kept: { listener: NativeListener; host: string; port: number } | null = null;

  /** Handles the listener messages of `worker`; returns true when `message` was one. */
  onMessage(worker: ChildProcess, message: unknown, handle: unknown): boolean {
    const type = (message as { type?: unknown } | null)?.type;
    if (type === LISTENER_MESSAGE && handle) {
      const { host, port } = message as ListenerMessage;
      this.kept?.listener.close();
      this.kept = host === null ? null : { listener: handle as NativeListener, host, port };
      return true;
    }
    if (type !== LISTENER_REQUEST) return false;
    const kept = this.kept;
    this.kept = null;
    if (!kept) {
      worker.send({ type: LISTENER_MESSAGE, host: null, port: 0 } satisfies ListenerMessage);
      return true;
    }
    const answer: ListenerMessage = { type: LISTENER_MESSAGE, host: kept.host, port: kept.port };
    // Our copy closes once the worker has its own; the socket stays open through theirs.
    worker.send(answer, kept.listener as never, undefined, () => kept.listener.close());
    return true;
  }
}
