/**
 * Multi-node fan-out on loopback: one real `nats-server -js` and BENCH_NODES (default 4) built
 * Trainyard servers (one fake GPU each, one cluster), a fake torchrun (test/fixtures/bin/torchrun).
 * Figure: POST /api/cluster/jobs/submit of a BENCH_NODES-rank bundle → every rank `running` on its
 * node (each rank's node polled every 10 ms), after one warm-up bundle that starts every node's job
 * launcher. BENCH_SAMPLES (default 5) bundles, one at a time, each cancelled before the next.
 * Target (cluster issue): ≤ 300 ms. Prints min/median/max and the load average.
 *
 *   npx nest build server && npx ts-node --transpile-only bench/cluster-fanout.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { natsServer } from '../test/support/nats-server';
import { freePort } from '../test/support/ports';
import {
  installSignalCleanup,
  loadAvg,
  onInterrupt,
  percentile,
  sleep,
  sortNum,
  startServer,
  type BenchServer,
} from './support';

const envInt = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};
const NODES = envInt('BENCH_NODES', 4);
const SAMPLES = envInt('BENCH_SAMPLES', 5);
const TORCHRUN = resolve(__dirname, '..', 'test', 'fixtures', 'bin', 'torchrun');
const POLL_MS = 10;
const TIMEOUT_MS = 30_000;

async function until(what: string, check: () => Promise<boolean>, timeoutMs = TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

async function main(): Promise<void> {
  installSignalCleanup();
  const root = mkdtempSync(join(tmpdir(), 'trainyard-bench-fanout-'));
  const nats = natsServer(await freePort(), join(root, 'nats'));
  const servers: BenchServer[] = [];
  const cleanup = async () => {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    await nats.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  };
  const unregister = onInterrupt(cleanup);
  try {
    await nats.start();
    const args = [
      '--fake-gpus',
      '1',
      '--cluster',
      'bench',
      '--nats',
      nats.url,
      '--cluster-address',
      '127.0.0.1',
    ];
    // One at a time: cold starts at once are slow on a small machine.
    for (let i = 0; i < NODES; i++) servers.push(await startServer(join(root, `node${i}`), args, 4));
    const ids: string[] = [];
    for (const s of servers) ids.push((await s.api.ok('GET', '/api/cluster/self')).node.node_id);
    await until('the cluster to form', async () => {
      const tables = await Promise.all(servers.map((s) => s.api.ok('GET', '/api/cluster/members')));
      const masters = new Set(tables.map((t) => t.master_node_id));
      return (
        tables.every((t) => t.members.filter((m: any) => m.reachable).length === NODES) &&
        masters.size === 1 &&
        !masters.has(null)
      );
    });
    const api = servers[0].api;
    const byNode = new Map(ids.map((id, i) => [id, servers[i].api]));
    const bundle = (name: string) => ({
      name,
      script: '/opt/train.py',
      torchrun: TORCHRUN,
      participants: ids.map((node_id) => ({ node_id, gpus: 1 })),
      allow_version_mismatch: true,
      env: { TORCHRUN_SLEEP: '600' },
    });
    const allRunning = async (b: any) =>
      (
        await Promise.all(
          b.ranks.map(
            async (r: any) => (await byNode.get(r.node_id)!.ok('GET', `/api/jobs/${r.queue_id}`)).status,
          ),
        )
      ).every((s) => s === 'running');
    const cancelAndIdle = async (b: any) => {
      await api.ok('POST', `/api/cluster/jobs/${b.id}/cancel`);
      await until('every GPU idle', async () => {
        const view = await api.ok('GET', '/api/cluster/gpus');
        return view.nodes.every((n: any) => n.gpus?.gpus.every((g: any) => g.reserved_by === null));
      });
    };

    // Warm-up: each node's first job starts its launcher.
    const warm = await api.ok('POST', '/api/cluster/jobs/submit', bundle('warm-up'));
    await until('the warm-up ranks running', () => allRunning(warm));
    await cancelAndIdle(warm);

    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const t0 = performance.now();
      const b = await api.ok('POST', '/api/cluster/jobs/submit', bundle(`fanout-${i}`));
      await until('every rank running', () => allRunning(b));
      samples.push(performance.now() - t0);
      await cancelAndIdle(b);
    }
    const s = sortNum(samples);
    console.log(
      `cluster fanout (loopback, ${NODES} nodes, 1 nats-server, launchers warm, ${SAMPLES} bundles): ` +
        `submit → all ranks running min ${s[0].toFixed(0)} ms, median ${percentile(s, 50).toFixed(0)} ms, ` +
        `max ${s[s.length - 1].toFixed(0)} ms (target ≤ 300 ms); load average ${loadAvg()}`,
    );
  } finally {
    unregister();
    await cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
