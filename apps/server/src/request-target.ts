import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** Requests {@link rewriteRequestTarget} routed as `/` though their target was not a path. */
const malformed = new WeakSet<IncomingMessage>();

/**
 * Fastify's `rewriteUrl`: a request target that is neither a path (origin-form, `/…`) nor a full URL
 * (absolute-form) nor `OPTIONS *` — `GET *`, `POST *` — matches no route tree, and Fastify
 * answered it from a fallback that runs no hooks (no security headers, no Host check). It is routed
 * as `/` instead, marked, and refused by {@link installRequestTargetCheck}'s hook.
 */
export function rewriteRequestTarget(req: IncomingMessage): string {
  const url = req.url ?? '/';
  if (url.startsWith('/') || /^https?:\/\//i.test(url) || (req.method === 'OPTIONS' && url === '*'))
    return url;
  malformed.add(req);
  return '/';
}

/** A 400 naming the path for a request {@link rewriteRequestTarget} marked; install right after the security headers. */
export function installRequestTargetCheck(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (!malformed.has(request.raw)) return;
    const message =
      'The request target must be a path beginning with / (the asterisk form `*` is for OPTIONS only, RFC 9112 §3.2)';
    return reply.code(400).send({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message,
      details: [{ field: 'path', message }],
    });
  });
}
