/**
 * `npm run bench`: the figures of the job-lifecycle issue, Trainyard beside task-spooler and nq
 * measured in the same run, with the ratio and whether each target is met. Prints a table and
 * writes every figure to bench/results/latest.json. Takes 2–5 minutes on a 2-core machine.
 *
 * Same definitions for every tool (those of ../shared/anchors/bench-tsp.sh):
 * - submit → first command: the job is `sh -c 'date +%s.%N > FILE'`; its timestamp minus the wall
 *   clock just before the client call (Trainyard: a keep-alive POST /api/queue of a 0-GPU `command`
 *   job), one job at a time on an idle server, each waited for until it has ended.
 * - trivial jobs/s: N `true` jobs queued behind a paused scheduler (peers: behind a blocker holding
 *   every slot); time from the release until all N have ended, polled (Trainyard every 25 ms).
 * - durable submits/s: 16 keep-alive clients, scheduler paused, a submit counts when answered 201
 *   (sent after its commit); a fixed count, so it also seeds the queue for the list reads. The peers'
 *   figure beside it is their serial client loop (tsp keeps its queue in memory).
 * - host floor: the same job command started by posix_spawn from a small C process
 *   (bench/spawn-floor.c), one at a time: the part of the first-command figures no queue can remove.
 * - list reads: sequential GETs with `limit=50`. The queue read runs on the server the submits
 *   filled. The jobs read runs on finished records: the jobs the latency and throughput phases ran,
 *   cloned (new queue_id, everything else copied) straight into the SQLite file while that server is
 *   stopped, then the server is started again on the same state directory.
 * - worker RSS: VmRSS of the worker (the child of main.js) after the reads, the larger of the two
 *   servers (10,000 finished records / 10,000 queued).
 *
 * Environment: BENCH_JOBS (1000: trivial jobs per batch, also the peers' N up to 990, see PEER_JOBS), BENCH_LAT_SAMPLES (200,
 * also the peers' NLAT), BENCH_RECORDS (10000), BENCH_GET_SAMPLES (200), BENCH_PEERS=0 skips the
 * peers, TRAINYARD_BENCH_ANCHORS (the peers' scripts; default ../shared/anchors from the repo root).
 * The server is built first when dist/ is older than the sources (`scripts/build-if-needed.js --server`).
 */
import Database from 'better-sqlite3';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  BenchServer,
  commandJob,
  drainBatch,
  fileCreateCost,
  fileSystemOf,
  FileSystemInfo,
  installSignalCleanup,
  loadAvg,
  onInterrupt,
  percentile,
  setScheduler,
  sleep,
  sortNum,
  startServer,
  stats,
  submitMany,
  timeGets,
  wallMs,
  withHome,
} from './support';

const envInt = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};
const ROOT = resolve(__dirname, '..');
const JOBS = envInt('BENCH_JOBS', 1_000);
const LAT_SAMPLES = envInt('BENCH_LAT_SAMPLES', 200);
const LAT_WARMUP = 20;
const RECORDS = envInt('BENCH_RECORDS', 10_000);
const GET_SAMPLES = envInt('BENCH_GET_SAMPLES', 200);
const CLIENTS = 16;
const DRAIN_WARMUP_JOBS = 50;
const DRAIN_POLL_MS = 25;
const JOB_END_TIMEOUT_MS = 10_000;
const PEERS = process.env.BENCH_PEERS !== '0';
/**
 * tsp 1.0.1 keeps one connection per queued job and accepts at most 1,000 (MAXCONN, compiled in):
 * the blocker, N queued jobs, the enqueuing client and the `tsp -l` poll must fit, so the peers'
 * batch is at most 990 jobs.
 */
const PEER_JOBS = Math.min(JOBS, 990);
const ANCHORS = resolve(ROOT, process.env.TRAINYARD_BENCH_ANCHORS ?? '../shared/anchors');
const RESULTS = join(ROOT, 'bench', 'results', 'latest.json');

/** One line of bench-tsp.sh's output. */
interface PeerFigures {
  anchor: string;
  version: string;
  slots: number;
  n: number;
  enqueue_per_s: number;
  e2e_jobs_per_s: number;
  throughput_jobs_per_s: number;
  latency_ms: { p50: number; p99: number; n: number };
}
type Peer = PeerFigures | { unavailable: string };
const figures = (p: Peer | undefined): PeerFigures | null => (p && 'anchor' in p ? p : null);

/** Everything measured; a phase that failed leaves its fields out and says why in `errors`. */
interface Results {
  peers: { tsp?: Peer; nq?: Peer; seconds?: number };
  latency?: { p50: number; p99: number; n: number; ack_p50: number; not_done: number };
  /** The same job command started by posix_spawn from a small C process (bench/spawn-floor.c). */
  floor?: { p50: number; p99: number; n: number };
  throughput?: { jobs: number; per_s: number; server_clock_per_s: number; seconds: number; done: number };
  submits?: { per_s: number; acked: number; failed: number; p50: number; p99: number; in_db: number };
  jobs_read?: { records: number; real: number; cloned: number; p50: number; p99: number };
  queue_read?: { queued: number; p50: number; p99: number; jobs_p50: number };
  rss_mb: { finished?: number; queued?: number };
  errors: Record<string, string>;
}
const results: Results = { peers: {}, rss_mb: {}, errors: {} };

/** Runs one phase; a failure is recorded (its rows then say so) and the run goes on. */
async function phase(name: string, fn: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  try {
    await fn();
  } catch (err) {
    results.errors[name] = err instanceof Error ? err.message.split('\n')[0] : String(err);
    console.log(`    ! ${name} failed: ${results.errors[name]}`);
  }
  console.log(`    (${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

/** Anchor scripts still running: killed (their whole process group) on Ctrl-C. */
const scripts = new Set<ChildProcess>();
const killGroup = (child: ChildProcess) => {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
};

/** Runs one of the anchor scripts in its own process group; on timeout the whole group is killed. */
const run = (script: string, env: Record<string, string>, timeoutMs: number) =>
  new Promise<string>((resolvePromise, reject) => {
    const child = spawn('bash', [join(ANCHORS, script)], {
      cwd: ANCHORS,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    scripts.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      scripts.delete(child);
      if (code === 0 && !timedOut) return resolvePromise(stdout);
      const why = timedOut ? `timed out after ${timeoutMs / 1000} s` : stderr.trim().split('\n').pop();
      reject(new Error(`${script}: ${why || `exit ${code}`}`));
    });
  });

/**
 * bench-tsp.sh parks a blocker job in `read < $ANCHOR_TSP_DIR/go`; when the script dies midway
 * nobody releases it and the next tsp-up.sh finds two tsp processes. A non-blocking write releases
 * whoever waits on the fifo (none waiting: ENXIO, nothing to do).
 */
function releaseBlockers(): void {
  const fifo = join(process.env.ANCHOR_TSP_DIR ?? '/tmp/anchors/tsp', 'go');
  try {
    if (!statSync(fifo).isFIFO()) return;
    const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(fd, 'go\n');
    closeSync(fd);
  } catch {
    /* no fifo, or no reader */
  }
}

/** task-spooler and nq through ../shared/anchors: bring up, measure, stop. */
async function benchPeers(): Promise<void> {
  const unavailable = (reason: string) => {
    results.peers.tsp = { unavailable: reason };
    results.peers.nq = { unavailable: reason };
  };
  if (!PEERS) return unavailable('skipped (BENCH_PEERS=0)');
  if (!existsSync(join(ANCHORS, 'bench-tsp.sh'))) {
    return unavailable(`no ${ANCHORS}/bench-tsp.sh (set TRAINYARD_BENCH_ANCHORS)`);
  }
  const t0 = performance.now();
  const down = async () => {
    scripts.forEach(killGroup);
    releaseBlockers();
    await run('tsp-down.sh', {}, 30_000);
  };
  const unregister = onInterrupt(down);
  try {
    await down(); // a fresh tsp server, started with our environment
    await run('tsp-up.sh', {}, 180_000);
    const out = await run('bench-tsp.sh', { N: String(PEER_JOBS), NLAT: String(LAT_SAMPLES) }, 240_000);
    for (const line of out.split('\n').filter((l) => l.startsWith('{'))) {
      const peer = JSON.parse(line) as PeerFigures;
      if (peer.anchor === 'tsp' || peer.anchor === 'nq') results.peers[peer.anchor] = peer;
    }
    results.peers.tsp ??= { unavailable: 'bench-tsp.sh printed no tsp line' };
    results.peers.nq ??= { unavailable: 'bench-tsp.sh printed no nq line' };
  } catch (err) {
    unavailable(err instanceof Error ? err.message : String(err));
  } finally {
    unregister();
    await down().catch(() => undefined);
  }
  results.peers.seconds = (performance.now() - t0) / 1000;
  for (const name of ['tsp', 'nq'] as const) {
    const p = results.peers[name]!;
    const f = figures(p);
    console.log(
      f
        ? `    ${name} ${f.version} (${f.slots} slot${f.slots > 1 ? 's' : ''}): latency p50 ${f.latency_ms.p50} ms p99 ${f.latency_ms.p99} ms (n ${f.latency_ms.n}); ` +
            `${f.throughput_jobs_per_s} jobs/s; enqueue ${f.enqueue_per_s}/s (1 client, serial)`
        : `    ${name}: peer unavailable: ${'unavailable' in p ? p.unavailable : '?'}`,
    );
  }
}

/** Submit → the job's own timestamp, one 0-GPU job at a time on an idle server. */
async function benchLatency({ api }: BenchServer, home: string): Promise<void> {
  const dir = join(home, 'bench-latency');
  mkdirSync(dir, { recursive: true });
  const lat: number[] = [];
  const acks: number[] = [];
  let notDone = 0;
  for (let i = 0; i < LAT_WARMUP + LAT_SAMPLES; i++) {
    const file = join(dir, String(i));
    const body = commandJob(['sh', '-c', `date +%s.%N > ${file}`], 0);
    const t0 = wallMs();
    const answer = await api.call<{ queue_id: string }>('POST', '/api/queue', body);
    const tAck = wallMs();
    if (answer.status !== 201) throw new Error(`submit → ${answer.status}: ${JSON.stringify(answer.body)}`);
    const id = answer.body.queue_id;
    const deadline = performance.now() + JOB_END_TIMEOUT_MS;
    let stamp = '';
    while (!/^\d+\.\d+\n$/.test(stamp)) {
      if (performance.now() > deadline) throw new Error(`${id} wrote no timestamp within 10 s`);
      await sleep(1);
      stamp = existsSync(file) ? readFileSync(file, 'utf8') : '';
    }
    let job = await api.ok(`GET`, `/api/jobs/${id}`);
    while (!job.ended_at) {
      if (performance.now() > deadline) throw new Error(`${id} did not end within 10 s`);
      await sleep(10);
      job = await api.ok('GET', `/api/jobs/${id}`);
    }
    if (job.status !== 'done') notDone++;
    if (i < LAT_WARMUP) continue;
    lat.push(Number(stamp) * 1000 - t0);
    acks.push(tAck - t0);
  }
  const s = sortNum(lat);
  results.latency = {
    p50: percentile(s, 50),
    p99: percentile(s, 99),
    n: s.length,
    ack_p50: percentile(sortNum(acks), 50),
    not_done: notDone,
  };
  console.log(`    submit → first command ${stats(lat)} (n ${s.length}); submit → 201 ${stats(acks)}`);
  if (notDone) console.log(`    ! ${notDone} job(s) did not end as done`);
}

/** JOBS trivial 0-GPU jobs queued behind the paused scheduler, then released. */
async function benchThroughput(ctx: BenchServer): Promise<void> {
  const opts = { clients: CLIENTS, pollMs: DRAIN_POLL_MS };
  await drainBatch(ctx, DRAIN_WARMUP_JOBS, opts);
  const r = await drainBatch(ctx, JOBS, opts);
  if (r.timedOut) throw new Error(`only ${r.ended}/${JOBS} ended within the timeout`);
  const lastEnd = Math.max(...r.jobs.map((j) => Date.parse(j.ended_at))) - r.resumeWall;
  const done = r.jobs.filter((j) => j.status === 'done').length;
  results.throughput = {
    jobs: JOBS,
    per_s: r.ended / r.observedS,
    server_clock_per_s: (r.jobs.length / lastEnd) * 1000,
    seconds: r.observedS,
    done,
  };
  console.log(
    `    ${r.ended} ended in ${r.observedS.toFixed(2)} s = ${results.throughput.per_s.toFixed(0)}/s ` +
      `(server clock, release → last ended_at: ${results.throughput.server_clock_per_s.toFixed(0)}/s); ${done} done; ` +
      `CPU per job: worker ${((r.cpu.self / JOBS) * 1000).toFixed(2)} ms, launcher ${((r.launcher.self / JOBS) * 1000).toFixed(2)} ms, ` +
      `monitors and jobs ${((r.launcher.children / JOBS) * 1000).toFixed(2)} ms`,
  );
}

/**
 * Tops the `jobs` table up to `total` rows by cloning its finished rows (new queue_id in the same
 * `q_<ms>_<hex>` form, every other column copied; other unique columns set to NULL). Only while the
 * server is stopped. The clones have no journal entries and no log files.
 */
function seedFinishedRecords(dbFile: string, total: number): { real: number; cloned: number } {
  if (!existsSync(dbFile)) throw new Error(`no database at ${dbFile}`);
  const db = new Database(dbFile);
  try {
    const columns = db.prepare(`PRAGMA table_info(jobs)`).all() as { name: string; notnull: number }[];
    if (columns.length === 0) throw new Error('no `jobs` table');
    const uniques = new Set<string>();
    for (const index of db.prepare(`PRAGMA index_list(jobs)`).all() as { name: string; unique: number }[]) {
      if (!index.unique) continue;
      for (const c of db.prepare(`PRAGMA index_info(${JSON.stringify(index.name)})`).all() as {
        name: string;
      }[])
        if (c.name !== 'id') uniques.add(c.name);
    }
    // `seq` (the queue/list order) is numbered on from the highest, as the server numbers inserts.
    const sequenced = new Set(['seq']);
    for (const c of columns) {
      if (uniques.has(c.name) && c.notnull && !sequenced.has(c.name))
        throw new Error(`cannot clone jobs: unique NOT NULL ${c.name}`);
    }
    let nextSeq = columns.some((c) => c.name === 'seq')
      ? (db.prepare('SELECT COALESCE(MAX(seq), 0) AS n FROM jobs').get() as { n: number }).n
      : 0;
    const templates = db
      .prepare(`SELECT * FROM jobs WHERE status IN ('done', 'failed', 'aborted') LIMIT 5000`)
      .all() as Record<string, unknown>[];
    const real = (db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
    if (templates.length === 0) throw new Error('no finished job to clone');
    const names = columns.map((c) => c.name);
    const insert = db.prepare(
      `INSERT OR IGNORE INTO jobs (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
    );
    let cloned = 0;
    db.transaction(() => {
      for (let i = 0; real + cloned < total; i++) {
        const row = templates[i % templates.length];
        const ms = Date.parse(String(row.submitted_at)) || Date.now();
        const values = names.map((n) =>
          n === 'id'
            ? `q_${ms}_${randomBytes(4).toString('hex')}`
            : sequenced.has(n)
              ? ++nextSeq
              : uniques.has(n)
                ? null
                : row[n],
        );
        cloned += insert.run(...values).changes;
      }
    })();
    return { real, cloned };
  } finally {
    db.close();
  }
}

/** GET /api/jobs?limit=50 on RECORDS finished records, and the worker's RSS then. */
async function benchJobsRead(home: string, args: string[], seeded: { real: number; cloned: number }) {
  const ctx = await startServer(home, args);
  try {
    const total = (await ctx.api.ok('GET', '/api/jobs?limit=1')).total as number;
    const times = sortNum(await timeGets(ctx.api, '/api/jobs?limit=50', GET_SAMPLES));
    results.jobs_read = { records: total, ...seeded, p50: percentile(times, 50), p99: percentile(times, 99) };
    results.rss_mb.finished = ctx.serverRssMb();
    console.log(
      `    ${total} records (${seeded.real} run here, ${seeded.cloned} cloned): GET /api/jobs?limit=50 ${stats(times)}; ` +
        `worker RSS ${results.rss_mb.finished.toFixed(0)} MB`,
    );
  } finally {
    await ctx.stop();
  }
}

/** RECORDS durable submits from 16 clients, then the queue read at RECORDS queued. */
async function benchSubmitsAndQueue({ api, serverRssMb }: BenchServer): Promise<void> {
  await setScheduler(api, false);
  const body = commandJob(['true'], 0);
  const warmup = Math.min(500, Math.floor(RECORDS / 10));
  await submitMany(api, body, CLIENTS, warmup);
  const run = await submitMany(api, body, CLIENTS, RECORDS - warmup);
  const acked = run.ids.length;
  const inDb = (await api.ok('GET', '/api/queue?limit=1')).total as number;
  const lat = sortNum(run.latencies);
  results.submits = {
    per_s: acked / (run.elapsedMs / 1000),
    acked,
    failed: run.failed,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    in_db: inDb,
  };
  console.log(
    `    ${acked} acknowledged in ${(run.elapsedMs / 1000).toFixed(2)} s = ${results.submits.per_s.toFixed(0)}/s ` +
      `(after ${warmup} warmup); ${run.failed} refused; answer ${stats(run.latencies)}; ` +
      `queued in the DB ${inDb} of ${warmup + acked} acknowledged${inDb === warmup + acked ? '' : ' ! MISMATCH'}`,
  );
  const queue = sortNum(await timeGets(api, '/api/queue?limit=50', GET_SAMPLES));
  const jobs = sortNum(await timeGets(api, '/api/jobs?limit=50', Math.ceil(GET_SAMPLES / 4)));
  results.queue_read = {
    queued: inDb,
    p50: percentile(queue, 50),
    p99: percentile(queue, 99),
    jobs_p50: percentile(jobs, 50),
  };
  results.rss_mb.queued = serverRssMb();
  console.log(
    `    ${inDb} queued: GET /api/queue?limit=50 ${stats(queue)}; GET /api/jobs?limit=50 ${stats(jobs)}; ` +
      `worker RSS ${results.rss_mb.queued.toFixed(0)} MB`,
  );
}

/**
 * The host's floor for the first-command figures: bench/spawn-floor.c, built with the C compiler the
 * launcher needs ($CC or cc), starts the same `sh -c 'date …'` with posix_spawn, one at a time.
 */
async function benchFloor(home: string): Promise<void> {
  const binary = join(home, 'spawn-floor');
  const dir = join(home, 'floor');
  mkdirSync(dir, { recursive: true });
  await exec(process.env.CC || 'cc', ['-O2', '-o', binary, join(ROOT, 'bench', 'spawn-floor.c')]);
  const out = await exec(binary, [String(LAT_WARMUP + LAT_SAMPLES), dir]);
  const lat = out.trim().split('\n').slice(LAT_WARMUP).map(Number);
  const s = sortNum(lat);
  results.floor = { p50: percentile(s, 50), p99: percentile(s, 99), n: s.length };
  console.log(`    posix_spawn of the same job command ${stats(lat)} (n ${s.length})`);
}

/** Runs a program to its end; resolves with its stdout, rejects with its last line of stderr. */
const exec = (file: string, args: string[]) =>
  new Promise<string>((resolvePromise, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolvePromise(stdout)
        : reject(new Error(`${file}: ${stderr.trim().split('\n').pop() || `exit ${code}`}`)),
    );
  });

interface Row {
  figure: string;
  trainyard: string;
  tsp: string;
  nq: string;
  ratio: string;
  target: string;
  met: boolean | null;
}

/** The table rows from whatever was measured. */
function rows(): Row[] {
  const tsp = figures(results.peers.tsp);
  const nq = figures(results.peers.nq);
  const f = (x: number | undefined, unit: string, digits = 1) =>
    x === undefined || Number.isNaN(x) ? 'n/a' : `${x.toFixed(digits)}${unit}`;
  const ratio = (ty: number | undefined, peer: number | undefined) =>
    ty === undefined || peer === undefined ? '–' : `${(ty / peer).toFixed(2)}× tsp`;
  const peer = (p: PeerFigures | null, pick: (p: PeerFigures) => number, unit: string, digits = 1) =>
    p ? f(pick(p), unit, digits) : 'unavailable';
  const { latency: lat, throughput: thr, submits: sub, jobs_read: jr, queue_read: qr, rss_mb: rss } = results;
  const rssSeen = [rss.finished, rss.queued].filter((x) => x !== undefined);
  const rssMax = rssSeen.length ? Math.max(...rssSeen) : undefined;
  const orNull = <T>(x: T | undefined, test: (x: T) => boolean) => (x === undefined ? null : test(x));
  return [
    {
      figure: 'submit → first command runs, p50',
      trainyard: f(lat?.p50, ' ms', 2),
      tsp: peer(tsp, (p) => p.latency_ms.p50, ' ms'),
      nq: peer(nq, (p) => p.latency_ms.p50, ' ms'),
      ratio: ratio(lat?.p50, tsp?.latency_ms.p50),
      target: '≤ 0.9× tsp',
      met: lat && tsp ? lat.p50 <= 0.9 * tsp.latency_ms.p50 : null,
    },
    {
      figure: 'submit → first command runs, p99',
      trainyard: f(lat?.p99, ' ms', 2),
      tsp: peer(tsp, (p) => p.latency_ms.p99, ' ms'),
      nq: peer(nq, (p) => p.latency_ms.p99, ' ms'),
      ratio: ratio(lat?.p99, tsp?.latency_ms.p99),
      target: '≤ 15 ms',
      met: orNull(lat, (l) => l.p99 <= 15),
    },
    {
      figure: `trivial 0-GPU jobs started+reaped/s (${JOBS}${PEER_JOBS < JOBS ? `, peers ${PEER_JOBS}` : ''} queued)`,
      trainyard: f(thr?.per_s, '/s', 0),
      tsp: peer(tsp, (p) => p.throughput_jobs_per_s, '/s', 0),
      nq: peer(nq, (p) => p.throughput_jobs_per_s, '/s', 0),
      ratio: ratio(thr?.per_s, tsp?.throughput_jobs_per_s),
      target: '≥ 1.05× tsp',
      met: thr && tsp ? thr.per_s >= 1.05 * tsp.throughput_jobs_per_s : null,
    },
    {
      figure: `durable submits/s, ${CLIENTS} keep-alive clients`,
      trainyard: f(sub?.per_s, '/s', 0),
      tsp: peer(tsp, (p) => p.enqueue_per_s, '/s (mem)', 0),
      nq: peer(nq, (p) => p.enqueue_per_s, '/s', 0),
      ratio: ratio(sub?.per_s, tsp?.enqueue_per_s),
      target: '≥ 2,000/s',
      met: orNull(sub, (s) => s.per_s >= 2000 && s.failed === 0),
    },
    {
      figure: `GET /api/jobs?limit=50, ${jr?.records ?? RECORDS} records, p50`,
      trainyard: f(jr?.p50, ' ms', 2),
      tsp: '–',
      nq: '–',
      ratio: '–',
      target: '≤ 3 ms',
      met: orNull(jr, (j) => j.p50 <= 3),
    },
    {
      figure: `GET /api/queue?limit=50, ${qr?.queued ?? RECORDS} queued, p50 / p99`,
      trainyard: qr ? `${qr.p50.toFixed(2)} / ${qr.p99.toFixed(2)} ms` : 'n/a',
      tsp: '–',
      nq: '–',
      ratio: '–',
      target: 'p50 ≤ 3 ms',
      met: orNull(qr, (q) => q.p50 <= 3),
    },
    {
      figure: `worker RSS with ${RECORDS} records`,
      trainyard: f(rssMax, ' MB', 0),
      tsp: '–',
      nq: '–',
      ratio: '–',
      target: '≤ 250 MB',
      met: orNull(rssMax, (r) => r <= 250),
    },
  ];
}

function printTable(table: Row[]): void {
  const head: Record<keyof Row, string> = {
    figure: 'figure',
    trainyard: 'Trainyard',
    tsp: 'tsp',
    nq: 'nq',
    ratio: 'ratio',
    target: 'target',
    met: 'met',
  };
  const cells = (r: Row) => [
    r.figure,
    r.trainyard,
    r.tsp,
    r.nq,
    r.ratio,
    r.target,
    r.met === null ? 'n/a' : r.met ? 'yes' : 'NO',
  ];
  const lines = [Object.values(head), ...table.map(cells)];
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  const fmt = (l: string[]) => l.map((c, i) => c.padEnd(widths[i])).join(' | ');
  console.log(fmt(lines[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const l of lines.slice(1)) console.log(fmt(l));
}

const createMs = (c: { file_ms: number; dir_ms: number }) =>
  `${c.file_ms.toFixed(3)} / ${c.dir_ms.toFixed(3)} ms`;

function describeFs(fs: FileSystemInfo | null, cost: { file_ms: number; dir_ms: number }): string {
  if (!fs) return `filesystem unknown; creating a file / a directory ${createMs(cost)}`;
  const journal = fs.journal === false ? ' without a journal' : fs.journal ? ' with a journal' : '';
  return `${fs.type}${journal} (${fs.device} on ${fs.mount}); creating a file / a directory ${createMs(cost)}`;
}

async function main(): Promise<void> {
  const mainJs = join(ROOT, 'dist', 'apps', 'server', 'src', 'main.js');
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`npm run bench\` (it builds first)`);
  const started = new Date();
  const cpu = cpus();
  const loadStart = loadAvg();
  console.log(
    `trainyard bench: node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, load avg ${loadStart}`,
  );
  console.log(
    `  jobs ${JOBS}, latency samples ${LAT_SAMPLES}, records ${RECORDS}, GET samples ${GET_SAMPLES}`,
  );
  const fs = fileSystemOf(tmpdir());
  const createStart = fileCreateCost(tmpdir());
  console.log(`  state directories under ${tmpdir()}: ${describeFs(fs, createStart)}`);
  const args = ['--fake-gpus', '0'];

  console.log('peers: task-spooler and nq (../shared/anchors)');
  await phase('peers', benchPeers);
  console.log('host floor: the job command without any queue (bench/spawn-floor.c)');
  await withHome((home) => phase('floor', () => benchFloor(home)));

  console.log('Trainyard: submit → first command, then trivial jobs/s, on one fresh server');
  await withHome(async (home) => {
    let ran = false;
    const ctx = await startServer(home, args);
    try {
      await phase('latency', () => benchLatency(ctx, home));
      await phase('throughput', () => benchThroughput(ctx));
      ran = true;
    } finally {
      await ctx.stop();
    }
    console.log(`Trainyard: GET /api/jobs at ${RECORDS} finished records (seeded while stopped, restarted)`);
    if (ran) {
      await phase('jobs read', async () =>
        benchJobsRead(home, args, seedFinishedRecords(join(home, 'trainyard.db'), RECORDS)),
      );
    }
  });

  console.log(
    `Trainyard: ${RECORDS} durable submits, then GET /api/queue at ${RECORDS} queued, on a fresh server`,
  );
  await withHome(async (home) => {
    const ctx = await startServer(home, args);
    try {
      await phase('submits + queue read', () => benchSubmitsAndQueue(ctx));
    } finally {
      await ctx.stop();
    }
  });

  const loadEnd = loadAvg();
  const createEnd = fileCreateCost(tmpdir());
  const table = rows();
  console.log('');
  printTable(table);
  if (results.floor)
    console.log(
      `host floor for the first command (posix_spawn of the same \`sh -c 'date …'\` from a small C process, no queue): ` +
        `p50 ${results.floor.p50.toFixed(2)} ms, p99 ${results.floor.p99.toFixed(2)} ms`,
    );
  console.log(
    `load avg at start ${loadStart}, at the end ${loadEnd}; nq runs one job at a time; tsp's enqueue is one serial client into memory`,
  );
  console.log(
    `creating a file / a directory under ${tmpdir()}: ${createMs(createStart)} at the start, ${createMs(createEnd)} at the end` +
      ' (Trainyard creates four per job, the peers one: README "Performance")',
  );
  for (const [name, why] of Object.entries(results.errors)) console.log(`! ${name} failed: ${why}`);
  for (const name of ['tsp', 'nq'] as const) {
    const p = results.peers[name];
    if (p && 'unavailable' in p) console.log(`! ${name}: peer unavailable: ${p.unavailable}`);
  }

  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(
    RESULTS,
    JSON.stringify(
      {
        started_at: started.toISOString(),
        seconds: (Date.now() - started.getTime()) / 1000,
        host: {
          node: process.version,
          cpus: cpu.length,
          model: cpu[0]?.model,
          load_start: loadStart,
          load_end: loadEnd,
          filesystem: fs,
          file_create_ms: { start: createStart, end: createEnd },
        },
        config: {
          jobs: JOBS,
          peer_jobs: PEER_JOBS,
          latency_samples: LAT_SAMPLES,
          records: RECORDS,
          get_samples: GET_SAMPLES,
          clients: CLIENTS,
        },
        ...results,
        rows: table,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`results: ${RESULTS}`);
  if (Object.keys(results.errors).length) process.exitCode = 1;
}

installSignalCleanup();
main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
