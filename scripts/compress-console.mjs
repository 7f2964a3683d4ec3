// Writes `.br` and `.gz` next to each compressible file of the built console, once at build time, so
// the server sends them as they are (@fastify/static `preCompressed`) instead of compressing per request.
// Usage: node scripts/compress-console.mjs [dir]   (default dist/frontend/browser)
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|map|ico|webmanifest|ttf)$/i;

const root = resolve(process.argv[2] ?? 'dist/frontend/browser');

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.isFile()) yield path;
  }
}

/** Whether `copy` exists and was written after `path` last changed. */
function upToDate(path, copy) {
  const made = statSync(copy, { throwIfNoEntry: false });
  return made !== undefined && made.mtimeMs >= statSync(path).mtimeMs;
}

let before = 0;
let after = 0;
let kept = 0;
for (const path of files(root)) {
  // Small files too: without a copy the server would compress them on every request instead.
  if (!COMPRESSIBLE.test(path)) continue;
  // Copies newer than their file are kept: brotli at its best takes most of a minute on the
  // console (Monaco), and tests that need the copies run this again after the build.
  if (upToDate(path, `${path}.br`) && upToDate(path, `${path}.gz`)) {
    kept++;
    continue;
  }
  const data = readFileSync(path);
  const br = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  const gz = gzipSync(data, { level: constants.Z_BEST_COMPRESSION });
  // A copy no smaller than the original is left out: the server then sends the original.
  if (br.length < data.length) writeFileSync(`${path}.br`, br);
  if (gz.length < data.length) writeFileSync(`${path}.gz`, gz);
  before += data.length;
  after += Math.min(br.length, data.length);
}
process.stdout.write(
  `compress-console: ${(before / 1024).toFixed(0)} KiB → ${(after / 1024).toFixed(0)} KiB with brotli in ${root}` +
    (kept ? ` (${kept} files' copies already up to date)\n` : '\n'),
);
