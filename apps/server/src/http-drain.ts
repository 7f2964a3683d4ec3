import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How long a drain waits (from its start) for a connection that is open but has brought no request
 * yet: one accepted just before the listener closed, whose request is still being read. Longer than
 * any client takes between connecting and sending; short, since a browser's preconnect never sends.
 */
export const REQUEST_GRACE_MS = 500;

/**
 * Lets a worker that stops or restarts finish its HTTP work before its modules close.
 *
 * Nest closes the modules first and the HTTP server last. Meanwhile the worker went on answering
 * requests on kept-alive connections (and accepting new ones) with parts of it already stopped, and
 * once Fastify closed it answered 503 to any that still came on an open connection: a CLI polling
 * through a restart (`trainyard wait`) failed on a 503 that a restart should never cause.
 *
 * Draining first: the worker stops accepting (on a restart its listening socket is already with the
 * supervisor, so new connections wait there for the next worker), closes its idle kept-alive
 * connections, answers every request from now on — and those in flight — with `Connection: close`,
 * and waits (at most `withinMs`) for the requests in flight to finish and for the connections it
 * accepted whose request had not come yet (Node counts a connection as busy from its accept, so
 * closing the idle ones leaves them open; their request came after Fastify closed: a 503). Those
 * get REQUEST_GRACE_MS to bring it; one that brings nothing is closed. A client's next request then
 * opens a new connection, which the next worker takes (or nobody, on a stop). Upgraded connections
 * (WebSockets) are left to their gateways, which close them with 1001.
 */
export class HttpDrain {
  private readonly inFlight = new Set<ServerResponse>();
  /** Open connections with no request in flight and not upgraded: a request may be on its way. */
  private readonly between = new Set<Socket>();
  private draining = false;
  private changed: (() => void) | null = null;

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.between.add(socket);
      socket.once('close', () => this.forget(socket));
    });
    // Before Fastify's own listener, so the header is set before any handler answers.
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
      if (this.draining) response.setHeader('connection', 'close');
      this.between.delete(request.socket);
      this.inFlight.add(response);
      response.once('close', () => {
        this.inFlight.delete(response);
        // Kept alive, its next request may come (a drain closes it once idle, or waits for it).
        if (!request.socket.destroyed) this.between.add(request.socket);
        this.changed?.();
      });
    });
    // (The server always has an upgrade listener, the WebSocket router: this one changes nothing.)
    server.prependListener('upgrade', (request: IncomingMessage) => this.forget(request.socket));
  }

  /**
   * Stops taking connections and resolves once the requests in flight and those on their way are
   * answered, or after `withinMs`.
   */
  async drain(withinMs: number): Promise<void> {
    this.draining = true;
    const started = Date.now();
    // Closing the listener while connections are open is no error; Fastify's own close later is
    // told the server is not running, which it expects.
    if (this.server.listening) this.server.close();
    for (const response of this.inFlight)
      if (!response.headersSent) response.setHeader('connection', 'close');
    this.server.closeIdleConnections();
    for (;;) {
      const now = Date.now();
      const waited = now - started;
      if (waited >= REQUEST_GRACE_MS) for (const socket of this.between) socket.destroy();
      for (const socket of this.between) if (socket.destroyed) this.between.delete(socket);
      if ((this.inFlight.size === 0 && this.between.size === 0) || waited >= withinMs) break;
      const wake = this.between.size > 0 ? Math.min(REQUEST_GRACE_MS, withinMs) : withinMs;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.changed = resolve;
        timer = setTimeout(resolve, wake - waited);
      });
      clearTimeout(timer);
      this.changed = null;
    }
    // An answer already streaming when the drain began kept its connection alive.
    this.server.closeIdleConnections();
  }

  private forget(socket: Socket): void {
    this.between.delete(socket);
    this.changed?.();
  }
}
