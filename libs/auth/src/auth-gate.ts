import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { WsGate } from '@trainyard/core';
import { AuthContext, Credentials } from './credentials';

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
  }
}

/** The only routes under /api that answer without credentials. */
export const OPEN_ROUTES = ['/api/health', '/api/auth/status', '/api/auth/login'] as const;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function normalizedPath(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  return (q < 0 ? rawUrl : rawUrl.slice(0, q)).replace(/\/{2,}/g, '/');
}

/** Everything under /api (and /metrics) is gated; the static console is not. */
export function isGatedPath(path: string): boolean {
  const p = path.toLowerCase();
  return p === '/api' || p.startsWith('/api/') || p === '/metrics' || p.startsWith('/metrics/');
}

/**
 * A cookie rides along on cross-site requests; require the browser's Origin to be this server's
 * own for state changes made with a cookie alone (bearer clients send no cookie and are unaffected).
 */
export function originMatchesHost(headers: IncomingMessage['headers'], secure: boolean): boolean {
  const origin = headers.origin;
  const host = headers.host;
  if (!origin || !host) return false;
  try {
    const url = new URL(origin);
    return url.host.toLowerCase() === host.toLowerCase() && url.protocol === (secure ? 'https:' : 'http:');
  } catch {
    return false;
  }
}

function unauthorized(message: string) {
  return { statusCode: 401, code: 'UNAUTHENTICATED', message };
}

export function installAuthGate(fastify: FastifyInstance, credentials: Credentials): void {
  fastify.addHook('onRequest', async (request: FastifyRequest, reply) => {
    const path = normalizedPath(request.url);
    const auth = credentials.authenticate(request.headers, request.url);
    if (auth) request.auth = auth;
    if (!isGatedPath(path) || (OPEN_ROUTES as readonly string[]).includes(path)) return;
    if (!auth) {
      return reply
        .code(401)
        .header('WWW-Authenticate', 'Bearer')
        .send(
          unauthorized(
            'Authentication required: send Authorization: Bearer <token>, a session cookie or ?token=',
          ),
        );
    }
    if (auth.method === 'cookie' && !SAFE_METHODS.has(request.method)) {
      if (!originMatchesHost(request.headers, request.protocol === 'https')) {
        return reply.code(403).send({
          statusCode: 403,
          code: 'CSRF_ORIGIN_MISMATCH',
          message:
            'Cookie-authenticated changes must come from this server’s own pages (Origin header mismatch)',
        });
      }
    }
  });
}

/** The same gate for WebSocket upgrades; a cookie upgrade must also come from our own origin. */
export function createWsGate(credentials: Credentials): WsGate {
  return (request) => {
    const auth = credentials.authenticate(request.headers, request.url ?? '/');
    if (!auth) return { status: 401, message: 'Authentication required' };
    const secure = Boolean((request.socket as { encrypted?: boolean }).encrypted);
    if (auth.method === 'cookie' && !originMatchesHost(request.headers, secure)) {
      return { status: 403, message: 'Origin mismatch for cookie-authenticated WebSocket' };
    }
    return null;
  };
}
