/**
 * End-to-end engine figures against the real built server (`dist/apps/server/src/main.js`), each on a
 * fresh server with its own temporary TRAINYARD_HOME, over loopback HTTP with keep-alive:
 *   (a) submit → running latency of a 1-GPU `command` job on an idle fake GPU; target p50 ≤ 25 ms.
 *   (b) sustained durable submits/s, 16 concurrent clients, scheduler paused; target ≥ 2,000/s.
 *   (c) trivial 0-GPU `true` jobs started and reaped per second (1,000 queued, then resume);
 *       target ≥ 200/s.
 *
 *   npm run build          # when dist/ is missing or older than the sources
 *   npx ts-node --transpile-only bench/engine.bench.ts [a] [b] [c]     (default: all three)
 *
 * ENGINE_BENCH_CPU_PROF=<dir> profiles the server processes with V8's sampling profiler: one
 * `<pid>.cpuprofile` per process lands in <dir> (open it in Chrome DevTools or speedscope).
 * Client and server share the machine: on a small or busy host the client's own CPU use counts.
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  BenchServer,
  clientCpu,
  commandJob,
  cpuDelta,
  drainBatch,
  installSignalCleanup,
  loadAvg,
  ms,
  percentile,
  sleep,
  sortNum,
  stats,
  submitMany,
  wallMs,
  withServer,
} from './support';

const A_WARMUP = 20;
const A_SAMPLES = 200;
const A_POLL_MS = 1;
const B_CLIENTS = 16;
const B_WARMUP_MS = 1_000;
const B_SECONDS = 10;
const B_MAX_SUBMITS = 200_000;
const C_JOBS = 1_000;
const C_WARMUP_JOBS = 50;
const C_POLL_MS = 50;
const C_TIMEOUT_MS = 180_000;

interface Row {
  bench: string;
  figure: string;
  target: string;
  met: boolean;
}
const rows: Row[] = [];

/** (a) One job at a time on one idle fake GPU. */
async function benchLatency({ api, serverCpu }: BenchServer): Promise<void> {
  const toStartedAt: number[] = [];
  const serverQueuedToStarted: number[] = [];
  const observed: number[] = [];
  const acks: number[] = [];
  let notDone = 0;
  let cpu0 = serverCpu();
  for (let i = 0; i < A_WARMUP + A_SAMPLES; i++) {
    if (i === A_WARMUP) cpu0 = serverCpu();
    const t0Wall = wallMs();
    const t0 = performance.now();
    const job = await api.ok('POST', '/api/queue', commandJob(['sleep', '0.05'], 1));
    const tAck = performance.now();
    let seenRunning: number | null = null;
    let current = job;
    const deadline = t0 + 10_000;
    for (;;) {
      if (seenRunning === null && current.status !== 'queued' && current.status !== 'starting') {
        seenRunning = performance.now();
      }
      if (current.ended_at) break;
      if (performance.now() > deadline) throw new Error(`${job.queue_id} did not end within 10 s`);
      await sleep(seenRunning === null ? A_POLL_MS : 10);
      current = await api.ok('GET', `/api/jobs/${job.queue_id}`);
    }
    if (current.status !== 'done') notDone++;
    if (i < A_WARMUP) continue;
    acks.push(tAck - t0);
    observed.push(seenRunning! - t0);
    toStartedAt.push(Date.parse(current.started_at) - t0Wall);
    serverQueuedToStarted.push(Date.parse(current.started_at) - Date.parse(current.submitted_at));
  }
  const cpu = cpuDelta(cpu0, serverCpu());
  const obsP50 = percentile(sortNum(observed), 50);
  const startP50 = percentile(sortNum(toStartedAt), 50);
  console.log(
    `(a) submit → running, 1-GPU \`sleep 0.05\` on 1 idle fake GPU, ${A_SAMPLES} sequential jobs after ${A_WARMUP} warmup (target p50 ≤ 25 ms)`,
  );
  console.log(`    submit answered (201)                     ${stats(acks)}`);
  console.log(`    server submitted_at → started_at          ${stats(serverQueuedToStarted)}`);
  console.log(`    request start → started_at (server clock) ${stats(toStartedAt)}`);
  console.log(
    `    request start → GET shows running/ended   ${stats(observed)}   (polled every ~${A_POLL_MS} ms)`,
  );
  console.log(
    `    server CPU per job: worker ${((cpu.self / A_SAMPLES) * 1000).toFixed(1)} ms (incl. the polling GETs), job processes ${((cpu.children / A_SAMPLES) * 1000).toFixed(1)} ms`,
  );
  if (notDone) console.log(`    ! ${notDone} job(s) did not end as done`);
  console.log('    (started_at is stamped when the job is claimed, before `script` is spawned)');
  rows.push(
    { bench: '(a) submit→started_at p50', figure: ms(startP50), target: '≤ 25 ms', met: startP50 <= 25 },
    { bench: '(a) submit→GET running p50', figure: ms(obsP50), target: '≤ 25 ms', met: obsP50 <= 25 },
  );
}

/** (b) 16 closed-loop clients submitting 0-GPU jobs while the scheduler is paused. */
async function benchSubmits({ api, serverCpu }: BenchServer): Promise<void> {
  await api.ok('POST', '/api/queue/scheduler', { enabled: false });
  const body = commandJob(['true'], 0);
  const warmup = await submitMany(api, body, B_CLIENTS, B_MAX_SUBMITS, performance.now() + B_WARMUP_MS);
  const warmupAcked = warmup.ids.length;
  const ticks0 = (await api.ok('GET', '/api/queue/scheduler')).tick_count as number;
  const cpu0 = serverCpu();
  const client0 = clientCpu();
  const { ids, failed, latencies, doneAt, elapsedMs } = await submitMany(
    api,
    body,
    B_CLIENTS,
    B_MAX_SUBMITS,
    performance.now() + B_SECONDS * 1000,
  );
  const acked = ids.length;
  const elapsed = elapsedMs / 1000;
  const cpu = cpuDelta(cpu0, serverCpu());
  const clientUsed = clientCpu() - client0;
  const passes = (await api.ok('GET', '/api/queue/scheduler')).tick_count - ticks0;
  const rate = acked / elapsed;
  const perSecond = Array.from({ length: Math.floor(elapsed) }, () => 0);
  for (const t of doneAt) if (t < perSecond.length * 1000) perSecond[Math.floor(t / 1000)]++;
  const queued = await api.ok('GET', '/api/jobs?status=queued&limit=1');
  console.log(
    `(b) durable submits, ${B_CLIENTS} concurrent keep-alive clients, 0-GPU \`true\`, scheduler paused, ${B_SECONDS} s after ${B_WARMUP_MS / 1000} s warmup (target ≥ 2,000/s)`,
  );
  console.log(
    `    ${acked} acknowledged in ${elapsed.toFixed(2)} s = ${rate.toFixed(0)} submits/s; ${failed} failed`,
  );
  console.log(`    latency ${stats(latencies)}`);
  console.log(`    per second: ${perSecond.join(' ')}`);
  console.log(
    `    server worker CPU ${cpu.self.toFixed(2)} s = ${(cpu.self / elapsed).toFixed(2)} cores, ${((cpu.self / acked) * 1000).toFixed(2)} ms/submit` +
      ` (→ ≤ ${(acked / cpu.self).toFixed(0)}/s on one free core); client CPU ${(clientUsed / elapsed).toFixed(2)} cores;` +
      ` ${passes} paused scheduler passes`,
  );
  const inDb = queued.total === warmupAcked + acked ? 'all there' : 'MISMATCH';
  console.log(
    `    jobs queued in the DB: ${queued.total}, acknowledged incl. ${warmupAcked} warmup: ${warmupAcked + acked} (${inDb})`,
  );
  console.log(
    '    each 201 is sent after the SQLite COMMIT of the job row + journal entry (WAL, synchronous=NORMAL:',
  );
  console.log('    survives a process crash; no fsync per commit, so not power-loss durable)');
  rows.push({
    bench: '(b) durable submits/s',
    figure: `${rate.toFixed(0)}/s`,
    target: '≥ 2,000/s',
    met: rate >= 2000,
  });
}

/** (c) Launch and reap throughput for trivial jobs. */
async function benchThroughput(ctx: BenchServer): Promise<void> {
  await drainBatch(ctx, C_WARMUP_JOBS, { clients: B_CLIENTS, pollMs: C_POLL_MS, timeoutMs: C_TIMEOUT_MS });
  const { resumeWall, observedS, ended, timedOut, jobs, cpu, launcher, pollLatencies, rssMb } =
    await drainBatch(ctx, C_JOBS, {
      clients: B_CLIENTS,
      pollMs: C_POLL_MS,
      timeoutMs: C_TIMEOUT_MS,
    });
  const rate = ended / observedS;
  const done = jobs.filter((j) => j.status === 'done').length;
  const started = jobs.filter((j) => j.started_at).map((j) => Date.parse(j.started_at));
  const endedAt = jobs.filter((j) => j.ended_at).map((j) => Date.parse(j.ended_at));
  const lastStart = Math.max(...started) - resumeWall;
  const lastEnd = Math.max(...endedAt) - resumeWall;
  // Peak number of jobs between claim and end, from the server's own timestamps.
  const edges = jobs
    .filter((j) => j.started_at && j.ended_at)
    .flatMap((j) => [
      [Date.parse(j.started_at), 1],
      [Date.parse(j.ended_at), -1],
    ])
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let live = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (live += d));
  const lifetimes = jobs
    .filter((j) => j.started_at && j.ended_at)
    .map((j) => Date.parse(j.ended_at) - Date.parse(j.started_at));
  console.log(
    `(c) ${C_JOBS} queued 0-GPU \`true\` jobs, resume → all ended (after a ${C_WARMUP_JOBS}-job warmup batch) (target ≥ 200/s)`,
  );
  console.log(
    `    ${ended}/${C_JOBS} ended in ${observedS.toFixed(2)} s (client-observed, polled every ${C_POLL_MS} ms) = ${rate.toFixed(0)} jobs/s${timedOut ? '  ! TIMED OUT' : ''}`,
  );
  console.log(
    `    server clock: last started_at ${(lastStart / 1000).toFixed(2)} s, last ended_at ${(lastEnd / 1000).toFixed(2)} s after resume = ${((jobs.length / lastEnd) * 1000).toFixed(0)} jobs/s`,
  );
  console.log(`    claim → end per job: ${stats(lifetimes)}; peak concurrent ${peak}; ${done} done`);
  console.log(
    `    server worker CPU ${cpu.self.toFixed(2)} s (${((cpu.self / C_JOBS) * 1000).toFixed(2)} ms/job, ${(cpu.self / observedS).toFixed(2)} cores);` +
      ` launcher, monitors and jobs ${(launcher.self + launcher.children).toFixed(2)} s (${(((launcher.self + launcher.children) / C_JOBS) * 1000).toFixed(2)} ms/job)`,
  );
  console.log(
    `    API answer time while draining (the progress GETs): ${stats(pollLatencies)}; worker RSS ${rssMb.toFixed(0)} MB`,
  );
  rows.push({
    bench: '(c) trivial jobs/s',
    figure: `${rate.toFixed(0)}/s`,
    target: '≥ 200/s',
    met: rate >= 200,
  });
}

async function main(): Promise<void> {
  const mainJs = join(__dirname, '..', 'dist', 'apps', 'server', 'src', 'main.js');
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`npm run build\` first`);
  const selected = new Set(process.argv.slice(2).filter((a) => ['a', 'b', 'c'].includes(a)));
  const want = (k: string) => selected.size === 0 || selected.has(k);
  const cpu = cpus();
  console.log(
    `engine bench: node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, load avg ${loadAvg()}`,
  );
  if (want('a')) await withServer(['--fake-gpus', '1'], benchLatency);
  if (want('b')) await withServer(['--fake-gpus', '0'], benchSubmits);
  if (want('c')) await withServer(['--fake-gpus', '0'], benchThroughput);

  const width = Math.max(...rows.map((r) => r.bench.length), 9);
  console.log(`\n${'benchmark'.padEnd(width)} | ${'figure'.padEnd(10)} | ${'target'.padEnd(9)} | met?`);
  console.log(`${'-'.repeat(width)}-|-${'-'.repeat(10)}-|-${'-'.repeat(9)}-|-----`);
  for (const r of rows) {
    console.log(
      `${r.bench.padEnd(width)} | ${r.figure.padEnd(10)} | ${r.target.padEnd(9)} | ${r.met ? 'yes' : 'NO'}`,
    );
  }
  console.log(`load avg at the end ${loadAvg()}`);
}

installSignalCleanup();
main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
