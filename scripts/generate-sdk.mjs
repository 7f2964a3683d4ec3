#!/usr/bin/env node
// Regenerates the TypeScript SDK (libs/sdk/src/generated) from the committed openapi/openapi.json.
// Offline: it reads the local file only. `npm run sdk:generate` runs it; test/sdk.e2e-spec.ts runs it
// with `--out <temp dir>` and fails when the result differs from the committed files.
//
//   node scripts/generate-sdk.mjs [--out DIR]
import { createClient } from '@hey-api/openapi-ts';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outFlag = process.argv.indexOf('--out');
const out =
  outFlag >= 0 ? resolve(process.argv[outFlag + 1] ?? '') : join(root, 'libs', 'sdk', 'src', 'generated');

await createClient({
  input: join(root, 'openapi', 'openapi.json'),
  output: {
    path: out,
    // The root tsconfig (commonjs, moduleResolution node): imports without file extensions.
    tsConfigPath: join(root, 'tsconfig.json'),
    clean: true,
  },
  plugins: [
    // fetch-based client, bundled into the output (no runtime dependency); calls throw on errors,
    // so `(await getJob({...})).data` is typed as the success body.
    { name: '@hey-api/client-fetch', throwOnError: true },
    '@hey-api/typescript',
    // One function per operationId (= the controller method's name: submitJob, listQueue, ...).
    '@hey-api/sdk',
  ],
  logs: { level: 'warn', file: false },
});

// The bundled client names the DOM's `BodyInit`, which the repo's tsconfig (lib ES2023 + @types/node,
// no DOM) does not declare. `RequestInit['body']` is the same type in both worlds.
for (const entry of readdirSync(out, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  const fixed = text.replace(/\bBodyInit\b/g, "NonNullable<RequestInit['body']>");
  if (fixed !== text) writeFileSync(file, fixed);
}
process.stdout.write(`SDK generated in ${out}\n`);
