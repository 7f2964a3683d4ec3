import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isGatedPath } from '@trainyard/auth';
import { findRepoRoot } from '@trainyard/core';

export function consoleDir(): string {
  return join(findRepoRoot(), 'dist', 'frontend', 'browser');
}

const PLACEHOLDER = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Trainyard</title></head>
<body style="font-family:system-ui;background:#111;color:#ddd;padding:2rem">
<h1>Trainyard</h1><p>The console has not been built. Run <code>npm run build</code>, then reload.</p>
<p>The API is up: see <a style="color:#8cf" href="/api/docs">/api/docs</a> (needs your token).</p></body></html>`;

/** The console's catch-all route (static files, SPA deep links): the one route outside /api needing no credentials. */
export const CONSOLE_ROUTE = 'GET /*';

/**
 * Serves the built console: hashed assets are immutable, index.html is never cached, files go out
 * pre-compressed (brotli or gzip) when the browser accepts it, and any other
 * GET that wants HTML gets index.html so deep links into the single-page app work. Unbuilt, the same
 * catch-all route answers with a placeholder page.
 */
export function serveConsole(
  app: NestFastifyApplication,
): (request: FastifyRequest, reply: FastifyReply) => boolean {
  const root = consoleDir();
  const index = join(root, 'index.html');
  if (existsSync(index)) {
    app.useStaticAssets({
      root,
      prefix: '/',
      index: ['index.html'],
      // `.br`/`.gz` copies written at build time (scripts/compress-console.mjs), chosen by Accept-Encoding.
      preCompressed: true,
      // Our own Cache-Control below; @fastify/static would otherwise overwrite it.
      cacheControl: false,
      setHeaders: (res, path) => {
        // Angular names bundles like `main-VRAFL6HY.js`: the hash follows a dash or a dot.
        const immutable =
          /[.-][0-9a-z]{8,}\.(js|css|woff2?|ttf|svg|png)$/i.test(path) || path.includes('/assets/monaco/');
        res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  } else {
    app
      .getHttpAdapter()
      .getInstance()
      .get('/*', (_request, reply) => reply.callNotFound());
  }
  return (request, reply) => {
    const path = request.url.split('?')[0];
    if (request.method !== 'GET' || isGatedPath(path)) return false;
    if (!String(request.headers.accept ?? '').includes('text/html')) return false;
    const html = existsSync(index) ? readFileSync(index, 'utf8') : PLACEHOLDER;
    void reply.code(200).header('Cache-Control', 'no-cache').type('text/html; charset=utf-8').send(html);
    return true;
  };
}
