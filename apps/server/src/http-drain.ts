import type { Server, ServerResponse } from 'node:http';

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
 * and waits (at most `withinMs`) for the requests in flight to finish. A client's next request
 * then opens a new connection, which the next worker takes (or nobody, on a stop).
 */
export class HttpDrain {
  private readonly inFlight = new Set<ServerResponse>();
  private draining = false;
  private allDone: (() => void) | null = null;

  constructor(private readonly server: Server) {
    // Before Fastify's own listener, so the header is set before any handler answers.
    server.prependListener('request', (_request, response: ServerResponse) => {
      if (this.draining) response.setHeader('connection', 'close');
      this.inFlight.add(response);
      response.once('close', () => {
        this.inFlight.delete(response);
        if (this.inFlight.size === 0) this.allDone?.();
      });
    });
  }

  /** Stops taking requests and resolves once those in flight are answered, or after `withinMs`. */
  async drain(withinMs: number): Promise<void> {
    this.draining = true;
    // Closing the listener while connections are open is no error; Fastify's own close later is
    // told the server is not running, which it expects.
    if (this.server.listening) this.server.close();
    for (const response of this.inFlight)
      if (!response.headersSent) response.setHeader('connection', 'close');
    this.server.closeIdleConnections();
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.allDone = resolve;
        timer = setTimeout(resolve, withinMs);
      });
      clearTimeout(timer);
    }
    // An answer already streaming when the drain began kept its connection alive.
    this.server.closeIdleConnections();
  }
}
