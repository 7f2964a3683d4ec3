/**
 * Files API figure: browse a directory of 10,000 entries (9,000 files, 1,000 directories), server
 * p50 over loopback HTTP with a keep-alive client, against the built server
 * (`dist/apps/server/src/main.js`; build it first with `npx nest build server`).
 * Two shapes: `files_too=true` (all 10,000 entries) and the default directories-only listing.
 *
 *   npx ts-node --transpile-only bench/fs-browse.bench.ts
 *
 * Environment: BENCH_BROWSE_SAMPLES (200).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  type BenchServer,
  installSignalCleanup,
  loadAvg,
  startServer,
  stats,
  timeGets,
  withHome,
} from './support';

const ENTRIES = 10_000;
const DIRS = 1_000;
const SAMPLES = Number(process.env.BENCH_BROWSE_SAMPLES) || 200;

async function main(): Promise<void> {
  installSignalCleanup();
  await withHome(async (home) => {
    const dir = join(home, 'browse-10k');
    mkdirSync(dir);
    for (let i = 0; i < ENTRIES; i++) {
      const name = join(dir, `entry-${String(i).padStart(5, '0')}`);
      if (i < DIRS) mkdirSync(name);
      else writeFileSync(name, '');
    }
    const { api, stop } = await startServer(home, []);
    try {
      await measure(api, dir);
    } finally {
      await stop();
    }
  });
}

async function measure(api: BenchServer['api'], dir: string): Promise<void> {
  const path = encodeURIComponent(dir);
  const all = await api.ok('GET', `/api/fs/browse?path=${path}&files_too=true`);
  if ((all as { entries: unknown[] }).entries.length !== ENTRIES) throw new Error('listing is incomplete');
  console.log(`fs browse, ${ENTRIES} entries, ${SAMPLES} samples, ${cpus().length} CPUs, load ${loadAvg()}`);
  console.log(
    `  files_too=true (${ENTRIES} entries): ${stats(await timeGets(api, `/api/fs/browse?path=${path}&files_too=true`, SAMPLES))}`,
  );
  console.log(
    `  directories only (${DIRS} entries):  ${stats(await timeGets(api, `/api/fs/browse?path=${path}`, SAMPLES))}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
