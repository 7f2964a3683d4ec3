import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { type ErrorDetail, validationFailed } from '../domain-error';
import { CREDENTIAL_QUERY_PARAMS } from '../http/validation';
import type { StreamErrorFrameDto } from './ws-frames.dto';

export interface WsRouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  request: IncomingMessage;
}
export type WsHandler = (socket: WebSocket, ctx: WsRouteContext) => void | Promise<void>;
/**
 * Decides an upgrade after the router matched it (`route`: the matched template, null when no route
 * matched). Returns null to accept, or the HTTP status, error code and message to refuse it with.
 */
export type WsGate = (
  request: IncomingMessage,
  route: string | null,
) => { status: number; code?: string; message: string } | null;

/** How long clients get to answer the 1001 close before their sockets are cut. */
const CLOSE_GRACE_MS = 500;

interface Route {
  path: string;
  pattern: RegExp;
  keys: string[];
  handler: WsHandler;
  query: readonly string[] | 'any';
}

/**
 * One upgrade handler for every WebSocket route. Nest's WsAdapter matches exact paths only, and
 * routes like /api/jobs/:id/tty need parameters; every upgrade passes the same auth gate as HTTP.
 */
@Injectable()
export class WsRouter implements BeforeApplicationShutdown {
  private readonly logger = new Logger(WsRouter.name);
  private readonly routes: Route[] = [];
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  /** The upgrade request of each open socket: what it was admitted with. */
  private readonly admitted = new Map<WebSocket, IncomingMessage>();
  private gate: WsGate = () => ({ status: 401, message: 'authentication not configured' });

  /**
   * `:name` matches one path segment; a final `*` matches the rest of the path (param `*`). `query`:
   * the query parameters the route takes (besides credentials); an upgrade with any other is refused
   * with a 400 naming it, as an HTTP route refuses one. `'any'` for a route that passes them on (a
   * proxy).
   */
  register(path: string, handler: WsHandler, query: readonly string[] | 'any' = []): void {
    const keys: string[] = [];
    const source = path
      .split('/')
      .map((part, i, parts) => {
        if (part === '*' && i === parts.length - 1) {
          keys.push('*');
          return '(.*)';
        }
        if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        keys.push(part.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.routes.push({ path, pattern: new RegExp(`^${source}$`), keys, handler, query });
  }

  setGate(gate: WsGate): void {
    this.gate = gate;
  }

  get paths(): string[] {
    return this.routes.map((r) => r.path);
  }

  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.handleUpgrade(request, socket, head);
    });
  }

  private refuse(socket: Duplex, status: number, message: string, code?: string, details?: unknown): void {
    const reason =
      {
        400: 'Bad Request',
        401: 'Unauthorized',
        403: 'Forbidden',
        404: 'Not Found',
        421: 'Misdirected Request',
      }[status] ?? 'Error';
    const body = JSON.stringify({
      statusCode: status,
      ...(code ? { code } : {}),
      message,
      ...(details ? { details } : {}),
    });
    const auth = status === 401 ? 'WWW-Authenticate: Bearer\r\n' : '';
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\n${auth}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  private handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://localhost');
    } catch {
      return this.refuse(socket, 400, 'bad request URL');
    }
    // Match first, then gate on what matched: the gate never guesses from the raw URL.
    let matched: { route: Route; params: Record<string, string> } | null = null;
    for (const route of this.routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      const params: Record<string, string> = {};
      try {
        route.keys.forEach((key, i) => (params[key] = decodeURIComponent(match[i + 1])));
      } catch {
        return this.refuse(socket, 400, 'bad path parameter');
      }
      matched = { route, params };
      break;
    }
    const refusal = this.gate(request, matched?.route.path ?? null);
    if (refusal) return this.refuse(socket, refusal.status, refusal.message, refusal.code);
    if (!matched) return this.refuse(socket, 404, `no WebSocket route ${url.pathname}`);
    const { route, params } = matched;
    const unknown = unknownQueryParams(route, url.searchParams);
    if (unknown.length) {
      // The shape of an HTTP route's 400 (message and details naming each parameter).
      const refused = validationFailed(unknown);
      return this.refuse(socket, 400, refused.message, refused.code, refused.details);
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      this.admitted.set(ws, request);
      ws.once('close', () => this.admitted.delete(ws));
      Promise.resolve(route.handler(ws, { params, query: url.searchParams, request })).catch(
        (err: unknown) => {
          this.logger.error(`WebSocket ${route.path} handler failed: ${String(err)}`);
          if (ws.readyState === WebSocket.OPEN) {
            const frame: StreamErrorFrameDto = { type: 'error', message: 'internal error' };
            ws.send(JSON.stringify(frame));
            ws.close(1011);
          }
        },
      );
    });
  }

  /**
   * Closes (1008, `reason`) every open socket whose upgrade request `revoked` picks — e.g. those
   * admitted by a session that has since ended: a socket is checked once, at its upgrade, so the
   * credentials' owner says when they stop counting. Returns how many were closed.
   */
  closeWhere(revoked: (request: IncomingMessage) => boolean, reason: string): number {
    let closed = 0;
    for (const [socket, request] of this.admitted) {
      if (socket.readyState !== WebSocket.OPEN || !revoked(request)) continue;
      socket.close(1008, reason);
      closed += 1;
    }
    return closed;
  }

  /**
   * Before the HTTP server closes: it waits for every open connection, and an upgraded socket never
   * ends by itself, so a restart or Ctrl-C with a console open would hang. 1001 tells clients the
   * server is going away (the console reconnects); whoever does not answer in time is cut off.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const clients = [...this.wss.clients];
    const closed = clients.map(
      (client) =>
        new Promise<void>((resolve) =>
          client.readyState === WebSocket.CLOSED ? resolve() : client.once('close', () => resolve()),
        ),
    );
    for (const client of clients) client.close(1001, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS))),
    ]);
    clearTimeout(timer);
    for (const client of clients) if (client.readyState !== WebSocket.CLOSED) client.terminate();
    this.wss.close();
  }
}

/** Each query parameter `route` does not take (credentials aside), named. */
function unknownQueryParams(route: Route, query: URLSearchParams): ErrorDetail[] {
  if (route.query === 'any') return [];
  const takes = route.query;
  const known = new Set<string>([...takes, ...CREDENTIAL_QUERY_PARAMS]);
  return [...new Set(query.keys())]
    .filter((name) => !known.has(name))
    .map((name) => ({
      field: name,
      message: `unknown query parameter ${name} (${takes.length ? `this route takes ${takes.join(', ')}` : 'this route takes none'})`,
    }));
}
