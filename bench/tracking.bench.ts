/**
 * Run tracking figures against the built server (`npx nest build server` first):
 * - ingest: POST /api/runs/{id}/log in 1,000-point batches (one series, steps 0..N-1) from
 *   BENCH_INGEST_CLIENTS keep-alive clients (4); points/s = N / wall time until every batch was
 *   answered 200 (each answer is sent after its transaction committed). Target ≥ 200,000/s.
 * - downsampling: GET /api/runs/{id}/metrics?path=…&point_count=1000 on that 1,000,000-point series,
 *   over loopback HTTP: the first read (from SQLite) and the p50 of the next ones (the series cache).
 *   Target ≤ 50 ms.
 *
 *   npx ts-node --transpile-only bench/tracking.bench.ts
 *
 * Environment: BENCH_INGEST_POINTS (1,000,000), BENCH_INGEST_CLIENTS (4), BENCH_DOWNSAMPLE_SAMPLES (50).
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { installSignalCleanup, loadAvg, startServer, stats, timeGets, withHome } from './support';

const POINTS = Number(process.env.BENCH_INGEST_POINTS) || 1_000_000;
const CLIENTS = Number(process.env.BENCH_INGEST_CLIENTS) || 4;
const SAMPLES = Number(process.env.BENCH_DOWNSAMPLE_SAMPLES) || 50;
const BATCH = 1000;

async function main(): Promise<void> {
  installSignalCleanup();
  await withHome(async (home) => {
    const { api, stop } = await startServer(home, [], CLIENTS);
    try {
      const { run_id: runId } = await api.ok<{ run_id: string }>('POST', '/api/runs', { name: 'bench' });
      const batches = Math.ceil(POINTS / BATCH);
      let next = 0;
      const worker = async () => {
        for (let b = next++; b < batches; b = next++) {
          const metrics = [];
          for (let i = b * BATCH; i < Math.min(POINTS, (b + 1) * BATCH); i++)
            metrics.push({ path: 'train/loss', step: i, value: Math.sin(i / 1000) });
          await api.ok('POST', `/api/runs/${runId}/log`, { metrics });
        }
      };
      const started = performance.now();
      await Promise.all(Array.from({ length: CLIENTS }, worker));
      const seconds = (performance.now() - started) / 1000;
      console.log(`run tracking, ${cpus().length} CPUs, load ${loadAvg()}`);
      const rate = POINTS / seconds;
      console.log(
        `  ingest: ${POINTS} points in ${BATCH}-point batches, ${CLIENTS} clients: ${seconds.toFixed(2)} s = ${Math.round(rate)} points/s (target ≥ 200000: ${rate >= 200_000 ? 'met' : 'NOT met'})`,
      );
      const path = `/api/runs/${runId}/metrics?path=train%2Floss&point_count=1000`;
      const coldStart = performance.now();
      const first = await api.ok<{ points: unknown[]; downsampled: boolean }>('GET', path);
      const cold = performance.now() - coldStart;
      if (!first.downsampled || first.points.length > 1002) throw new Error('not downsampled');
      const warm = await timeGets(api, path, SAMPLES, 2);
      const p50 = warm.slice().sort((a, b) => a - b)[Math.floor(warm.length / 2)];
      console.log(`  downsample ${POINTS} → ${first.points.length} points: first read ${cold.toFixed(1)} ms`);
      console.log(
        `  downsample, cached series: ${stats(warm)} (target ≤ 50 ms: ${p50 <= 50 ? 'met' : 'NOT met'})`,
      );
    } finally {
      await stop();
    }
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
