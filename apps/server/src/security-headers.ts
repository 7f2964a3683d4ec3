import type { FastifyInstance } from 'fastify';

/**
 * What the console and the Swagger UI need, and nothing else: scripts only from this origin (no
 * inline script, no eval), inline styles (Angular adds component styles at run time, Swagger UI
 * ships a <style> block), data: images (the favicon, Swagger's icons), fetch and WebSockets to this
 * origin only, and no framing by anyone (click-jacking: pages on other loopback ports are same-site).
 * Workers may also start from a `blob:` URL: Monaco (the editor) wraps its same-origin worker scripts
 * in a blob that only calls `importScripts`, and only our own scripts can create one.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** On every answer (console, API, errors, the gate's refusals): install before any other hook. */
export function installSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (_request, reply) => {
    void reply.headers(SECURITY_HEADERS);
  });
}
