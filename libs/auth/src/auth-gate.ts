import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { DomainError, WsGate } from '@trainyard/core';
import { AuthContext, Credentials, readCookie, readQueryToken } from './credentials';
import { checkRequestSource, HostPolicy, isSafeMethod, originMatchesHost, Refusal } from './request-source';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the gate: always on a gated route, when credentials came along on an open one. */
    auth?: AuthContext;
  }
}

/**
 * The API routes that answer without credentials, as `METHOD /route/template` (HEAD counts as GET).
 * Everything else is gated — decided on the route Fastify matched, never on the raw URL.
 */
export const OPEN_ROUTES = ['GET /api/health', 'GET /api/auth/status', 'POST /api/auth/login'] as const;

/** Everything under /api (and /metrics) belongs to the API; the console's pages are elsewhere. */
export function isGatedPath(path: string): boolean {
  const p = path.toLowerCase().replace(/\/{2,}/g, '/');
  return p === '/api' || p.startsWith('/api/') || p === '/metrics' || p.startsWith('/metrics/');
}

const UNAUTHENTICATED: Refusal = {
  status: 401,
  code: 'UNAUTHENTICATED',
  message: 'Authentication required: send Authorization: Bearer <token>, a session cookie or ?token=',
};

/**
 * The 401 for a request that was not let in, saying which credential it sent was not accepted (a
 * wrong token read as if none had been sent: a trial), or what to send when it sent none.
 */
function unauthenticated(
  credentials: Credentials,
  headers: IncomingMessage['headers'],
  url: string,
): Refusal {
  const why = (message: string): Refusal => ({ ...UNAUTHENTICATED, message });
  if (headers.authorization !== undefined)
    return /^Bearer\s+\S+\s*$/i.test(headers.authorization)
      ? why(
          'The bearer token was not accepted: it is not this server’s token (auth_token in its state ' +
            'directory; a new one is written at a start with --regen-token)',
        )
      : why('The Authorization header must be "Bearer <token>"');
  if (readCookie(headers.cookie, credentials.sessionCookie))
    return why('The session has expired or was signed out: sign in again');
  if (readQueryToken(url))
    return why(
      'The ?token= in the URL was not accepted: it is not this server’s token, or a one-shot sign-in ' +
        'link already used or expired (open a new one)',
    );
  return UNAUTHENTICATED;
}

const COOKIE_WITHOUT_ORIGIN: Refusal = {
  status: 403,
  code: 'CSRF_ORIGIN_MISMATCH',
  message: 'Cookie-authenticated changes must come from this server’s own pages (Origin header missing)',
};

const SCOPED_TOKEN_FORBIDDEN: Refusal = {
  status: 403,
  code: 'FORBIDDEN',
  message: 'This token is scoped to another resource',
};

/**
 * A bearer token of a registered scoped scheme is judged by its scheme on the scheme's own routes
 * (`ok`/`forbidden`/`invalid`) and is no credential everywhere else (a 401 saying what it is);
 * undefined: not a scoped token.
 */
function scopedVerdict(
  credentials: Credentials,
  request: FastifyRequest,
  routeKey: string | undefined,
): 'ok' | 'forbidden' | 'invalid' | Refusal | undefined {
  if (!credentials.authRequired) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  const scheme = match ? credentials.scoped.schemeOf(match[1]) : undefined;
  if (!match || !scheme) return undefined;
  if (routeKey === undefined || !scheme.routes.includes(routeKey))
    return { ...UNAUTHENTICATED, message: `The bearer token is ${scheme.description}, not this route` };
  const verdict = scheme.check(match[1], (request.params ?? {}) as Record<string, string>, Date.now());
  return verdict ?? 'invalid';
}

function send(reply: FastifyReply, refusal: Refusal) {
  if (refusal.status === 401) void reply.header('WWW-Authenticate', 'Bearer');
  return reply
    .code(refusal.status)
    .send({ statusCode: refusal.status, code: refusal.code, message: refusal.message });
}

export interface AuthGateOptions {
  hosts: HostPolicy;
  /** Further routes that need no credentials (`METHOD /template`), e.g. the console's catch-all. */
  publicRoutes?: readonly string[];
}

/**
 * The HTTP gate, deny by default. Runs in onRequest, after Fastify matched the route: a request is
 * let through without credentials only when the matched route (not the URL as sent) is open; the
 * 404 handler is not a route and so is gated too. A one-shot URL token is consumed only where it is
 * the credential (a gated route), never by an open route or the console's pages.
 */
export function installAuthGate(
  fastify: FastifyInstance,
  credentials: Credentials,
  options: AuthGateOptions,
): void {
  const open = new Set<string>([...OPEN_ROUTES, ...(options.publicRoutes ?? [])]);
  fastify.addHook('onRequest', async (request: FastifyRequest, reply) => {
    const changes = !isSafeMethod(request.method);
    const source = checkRequestSource(request.headers, changes, options.hosts, request.raw.rawHeaders);
    if (source) return send(reply, source);

    const route = request.routeOptions.url;
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    if (route !== undefined && open.has(`${method} ${route}`)) {
      // Open: note who is asking (auth/status reports it) without spending a one-shot token.
      const auth = credentials.authenticate(request.headers, request.url, Date.now(), {
        consumeUrlToken: false,
      });
      if (auth) request.auth = auth;
      return;
    }
    const scoped = scopedVerdict(
      credentials,
      request,
      route === undefined ? undefined : `${method} ${route}`,
    );
    if (scoped === 'ok') {
      request.auth = { method: 'scoped_token' };
      return;
    }
    if (scoped === 'forbidden') return send(reply, SCOPED_TOKEN_FORBIDDEN);
    if (typeof scoped === 'object') return send(reply, scoped);
    const auth = scoped === 'invalid' ? null : credentials.authenticate(request.headers, request.url);
    if (!auth) return send(reply, unauthenticated(credentials, request.headers, request.url));
    if (auth.method === 'cookie' && changes && !originMatchesHost(request.headers))
      return send(reply, COOKIE_WITHOUT_ORIGIN);
    request.auth = auth;
  });
}

/** The gate's verdict for a handler: a request that reached it without an auth context is refused. */
export function requireAuth(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new DomainError('UNAUTHENTICATED', UNAUTHENTICATED.message);
  return request.auth;
}

/**
 * The same rules for WebSocket upgrades, after the router matched the path (`route` is null when
 * none did: an unknown path is 401 without credentials, 404 with them). Every WebSocket route is
 * gated; an upgrade is a change (a foreign Origin is refused, a cookie needs ours).
 */
export function createWsGate(credentials: Credentials, hosts: HostPolicy): WsGate {
  return (request: IncomingMessage, route: string | null) => {
    const source = checkRequestSource(request.headers, true, hosts, request.rawHeaders);
    if (source) return source;
    const auth = credentials.authenticate(request.headers, request.url ?? '/', Date.now(), {
      consumeUrlToken: route !== null,
    });
    if (!auth) return unauthenticated(credentials, request.headers, request.url ?? '/');
    if (route === null) return { status: 404, code: 'ROUTE_NOT_FOUND', message: 'No such WebSocket route' };
    if (auth.method === 'cookie' && !originMatchesHost(request.headers)) {
      return {
        ...COOKIE_WITHOUT_ORIGIN,
        message: 'Cookie-authenticated WebSocket upgrades must come from this server’s own pages',
      };
    }
    return null;
  };
}
