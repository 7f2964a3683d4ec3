import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig } from '@trainyard/core';
import { createServerApp } from './configure-app';
import { buildOpenApiDocument } from './openapi';
import { findRepoRoot } from '@trainyard/core';

/** Writes openapi/openapi.json from the code (or prints it with --stdout). Uses a throwaway state dir. */
async function generate(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'trainyard-openapi-'));
  // The app's boot waits on threads and processes it keeps unref'd (never what keeps a server
  // alive): with nothing else here, Node would exit 0 midway, having written nothing.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    const config = loadServerConfig({ argv: ['--fake-gpus', '0'], env: { TRAINYARD_HOME: home } });
    const app = await createServerApp(config, { logger: false });
    const json = `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
    await app.close();
    if (process.argv.includes('--stdout')) process.stdout.write(json);
    else writeFileSync(join(findRepoRoot(), 'openapi', 'openapi.json'), json);
  } finally {
    clearInterval(keepAlive);
    rmSync(home, { recursive: true, force: true });
  }
}

void generate();
