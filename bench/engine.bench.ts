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
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnServer, SpawnedServer } from '../test/support/spawned-server';

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
const STOP_TIMEOUT_MS = 15_000;

interface Row {
  bench: string;
  figure: string;
  target: string;
  met: boolean;
}
const rows: Row[] = [];

/** Wall-clock ms with sub-ms precision, comparable with the server's ISO timestamps (same host). */
const wallMs = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const sortNum = (xs: number[]) => xs.slice().sort((x, y) => x - y);
const ms = (x: number) => `${x.toFixed(1)} ms`;
const stats = (xs: number[]) => {
  const s = sortNum(xs);
  return `p50 ${ms(percentile(s, 50))}  p99 ${ms(percentile(s, 99))}  max ${ms(s[s.length - 1])}`;
};

/** A tiny JSON client on node:http with a keep-alive pool (cheaper per request than fetch). */
class Client {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    baseUrl: string,
    private readonly token: string,
    sockets: number,
  ) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  call<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { authorization: `Bearer ${this.token}` };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    return new Promise((resolvePromise, reject) => {
      const req = httpRequest(
        { host: this.host, port: this.port, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              /* not JSON */
            }
            resolvePromise({ status: res.statusCode ?? 0, body: parsed as T });
          });
        },
      );
      req.on('error', reject);
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
      req.end(payload);
    });
  }

  async ok<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.call<T>(method, path, body);
    if (answer.status >= 300) {
      throw new Error(`${method} ${path} → ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** CPU seconds from /proc: the process itself, and its reaped children (for the worker: the jobs). */
interface Cpu {
  self: number;
  children: number;
}
function procCpu(pid: number): Cpu {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const tick = 100; // USER_HZ on Linux
  return { self: (f[11] + f[12]) / tick, children: (f[13] + f[14]) / tick };
}
function procRssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? NaN) / 1024;
}
const cpuDelta = (a: Cpu, b: Cpu): Cpu => ({ self: b.self - a.self, children: b.children - a.children });

/** The server proper is the worker that main.js forks; its pid is main's only child. */
function workerPid(mainPid: number): number {
  const ppidOf = (pid: string): number => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return -1; // gone meanwhile
    }
  };
  const children = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && ppidOf(p) === mainPid);
  if (children.length !== 1)
    throw new Error(`expected one worker under ${mainPid}, found ${children.length}`);
  return Number(children[0]);
}

interface Ctx {
  api: Client;
  /** CPU used so far by the server's worker process, and by the jobs it reaped. */
  serverCpu: () => Cpu;
  serverRssMb: () => number;
}
const clientCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const commandJob = (argv: string[], gpus: number) => ({
  job_type: 'command',
  requested_gpus: gpus,
  job_params: { argv },
});

/** Runs `fn` against a fresh built server; the server is stopped and its home removed whatever happens. */
let cleanupOnSignal: (() => Promise<void>) | null = null;
async function withServer(args: string[], fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'trainyard-engine-bench-'));
  const env: Record<string, string> = { TRAINYARD_LOG_LEVEL: 'warn' };
  const profDir = process.env.ENGINE_BENCH_CPU_PROF;
  if (profDir) env.NODE_OPTIONS = `--require ${profilerPreload(home, resolve(profDir))}`;
  let server: SpawnedServer | null = null;
  let client: Client | null = null;
  const cleanup = async () => {
    client?.close();
    if (server) await stopServer(server);
    rmSync(home, { recursive: true, force: true });
  };
  cleanupOnSignal = cleanup;
  try {
    server = await spawnServer(home, args, env);
    if (!server.token) throw new Error(`no token in the banner:\n${server.output()}`);
    client = new Client(server.baseUrl, server.token, B_CLIENTS);
    const worker = workerPid(server.process.pid!);
    await fn({ api: client, serverCpu: () => procCpu(worker), serverRssMb: () => procRssMb(worker) });
  } finally {
    cleanupOnSignal = null;
    await cleanup();
  }
}

/**
 * `--cpu-prof` is refused in NODE_OPTIONS and the server forks its worker itself, so profiling goes
 * through a preload that runs the V8 profiler in-process and writes `<pid>.cpuprofile` at exit.
 */
function profilerPreload(home: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(home, 'bench-cpu-profiler.js');
  writeFileSync(
    file,
    `const { Session } = require('node:inspector');
     const session = new Session();
     session.connect();
     session.post('Profiler.enable');
     session.post('Profiler.setSamplingInterval', { interval: 500 });
     session.post('Profiler.start');
     process.on('exit', () => session.post('Profiler.stop', (err, res) => {
       if (!err) require('node:fs').writeFileSync(${JSON.stringify(dir)} + '/' + process.pid + '.cpuprofile', JSON.stringify(res.profile));
     }));`,
  );
  return file;
}

async function stopServer(server: SpawnedServer): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), STOP_TIMEOUT_MS)));
  const outcome = await Promise.race([server.stop('SIGTERM'), timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') await server.stop('SIGKILL');
}

/** (a) One job at a time on one idle fake GPU. */
async function benchLatency({ api, serverCpu }: Ctx): Promise<void> {
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
async function benchSubmits({ api, serverCpu }: Ctx): Promise<void> {
  await api.ok('POST', '/api/queue/scheduler', { enabled: false });
  const body = commandJob(['true'], 0);
  let acked = 0;
  let failed = 0;
  const run = async (untilMs: number, latencies: number[] | null, doneAt: number[] | null, start: number) => {
    const loop = async () => {
      while (performance.now() < untilMs && acked + failed < B_MAX_SUBMITS) {
        const t0 = performance.now();
        const answer = await api.call('POST', '/api/queue', body);
        const t1 = performance.now();
        if (answer.status !== 201) {
          failed++;
          continue;
        }
        acked++;
        latencies?.push(t1 - t0);
        doneAt?.push(t1 - start);
      }
    };
    await Promise.all(Array.from({ length: B_CLIENTS }, loop));
  };
  const warmStart = performance.now();
  await run(warmStart + B_WARMUP_MS, null, null, warmStart);
  const warmupAcked = acked;
  acked = 0;
  const latencies: number[] = [];
  const doneAt: number[] = [];
  const ticks0 = (await api.ok('GET', '/api/queue/scheduler')).tick_count as number;
  const cpu0 = serverCpu();
  const client0 = clientCpu();
  const start = performance.now();
  await run(start + B_SECONDS * 1000, latencies, doneAt, start);
  const elapsed = (performance.now() - start) / 1000;
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

/** Submits `count` `true` jobs while paused, resumes, and waits for all of them to end. */
async function drainBatch({ api, serverCpu, serverRssMb }: Ctx, count: number) {
  await api.ok('POST', '/api/queue/scheduler', { enabled: false });
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: B_CLIENTS }, async () => {
      while (next < count) {
        next++;
        ids.push((await api.ok('POST', '/api/queue', commandJob(['true'], 0))).queue_id);
      }
    }),
  );
  const endedBefore = (await api.ok('GET', '/api/jobs?status=done,failed,aborted&limit=1')).total as number;
  await sleep(500); // let the paused pass triggered by the last submit settle
  const cpu0 = serverCpu();
  const resumeWall = wallMs();
  const t0 = performance.now();
  await api.ok('POST', '/api/queue/scheduler', { enabled: true });
  let ended = 0;
  let timedOut = false;
  const pollLatencies: number[] = [];
  for (;;) {
    const tPoll = performance.now();
    ended = (await api.ok('GET', '/api/jobs?status=done,failed,aborted&limit=1')).total - endedBefore;
    pollLatencies.push(performance.now() - tPoll);
    if (ended >= count) break;
    if (performance.now() - t0 > C_TIMEOUT_MS) {
      timedOut = true;
      break;
    }
    await sleep(C_POLL_MS);
  }
  const observedS = (performance.now() - t0) / 1000;
  const cpu = cpuDelta(cpu0, serverCpu());
  const wanted = new Set(ids);
  const jobs: any[] = [];
  for (let cursor: string | null = '0'; cursor !== null;) {
    const page: { items: any[]; next_cursor: string | null } = await api.ok(
      `GET`,
      `/api/jobs?limit=500&cursor=${cursor}`,
    );
    jobs.push(...page.items.filter((j: any) => wanted.has(j.queue_id)));
    cursor = page.next_cursor;
  }
  return { resumeWall, observedS, ended, timedOut, jobs, cpu, pollLatencies, rssMb: serverRssMb() };
}

/** (c) Launch and reap throughput for trivial jobs. */
async function benchThroughput(ctx: Ctx): Promise<void> {
  await drainBatch(ctx, C_WARMUP_JOBS);
  const { resumeWall, observedS, ended, timedOut, jobs, cpu, pollLatencies, rssMb } = await drainBatch(
    ctx,
    C_JOBS,
  );
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
      ` job processes (script + sh + mv) ${cpu.children.toFixed(2)} s (${((cpu.children / C_JOBS) * 1000).toFixed(2)} ms/job)`,
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
    `engine bench: node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, load avg ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
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
  console.log(
    `load avg at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (cleanupOnSignal?.() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
