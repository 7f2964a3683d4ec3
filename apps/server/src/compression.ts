import { constants } from 'node:zlib';
import fastifyCompress from '@fastify/compress';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** Smaller answers are sent as they are: compressing them saves less than it costs. */
export const COMPRESS_THRESHOLD_BYTES = 1024;

/**
 * Compresses HTTP answers (API JSON, text logs, the console's SPA fallback) with brotli or gzip, as
 * the client's Accept-Encoding asks, above {@link COMPRESS_THRESHOLD_BYTES}. Files already
 * compressed at build time (the console's `.br`/`.gz`) carry their own Content-Encoding and are left
 * alone; WebSockets (live logs, GPU and job streams) never pass through Fastify's reply, and the
 * plugin's default types leave `text/event-stream` out, so nothing streamed waits on a compressor's
 * flush. Must be registered before any route.
 */
export async function installCompression(app: NestFastifyApplication): Promise<void> {
  await app.register(fastifyCompress, {
    global: true,
    threshold: COMPRESS_THRESHOLD_BYTES,
    encodings: ['br', 'gzip'],
    // Per-request brotli at its default quality (11) costs ~100× gzip's time; 4 is as fast and smaller.
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
  });
}
