/**
 * Shared pieces of the benchmarks that drive the real built server (`dist/apps/server/src/main.js`)
 * over loopback HTTP: a keep-alive JSON client, percentiles, /proc readings (CPU, RSS, the worker's
 * pid), server start/stop on a throwaway TRAINYARD_HOME, and the two load shapes several benches
 * use (N concurrent submits; N queued jobs released at once and waited for).
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnServer, SpawnedServer } from '../test/support/spawned-server';

export const STOP_TIMEOUT_MS = 15_000;

/** Wall-clock ms with sub-ms precision, comparable with the server's ISO timestamps (same host). */
export const wallMs = (): number => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Nearest-rank percentile of an ascending array (the definition bench-tsp.sh uses); NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
export const sortNum = (xs: number[]) => xs.slice().sort((x, y) => x - y);
export const ms = (x: number) => `${x.toFixed(1)} ms`;
export const stats = (xs: number[]) => {
  const s = sortNum(xs);
  return `p50 ${ms(percentile(s, 50))}  p99 ${ms(percentile(s, 99))}  max ${ms(s[s.length - 1])}`;
};
export const loadAvg = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** The filesystem a path is on, from /proc/self/mountinfo: type, device, and for ext4 whether it has a journal. */
export interface FileSystemInfo {
  type: string;
  device: string;
  mount: string;
  /** ext4 only: a journal (jbd2) is running for it; null for other types or when unknown. */
  journal: boolean | null;
}

export function fileSystemOf(path: string): FileSystemInfo | null {
  let best: FileSystemInfo | null = null;
  const dev = statSync(path).dev;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue"
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const fields = left.split(' ');
    const [major, minor] = fields[2].split(':').map(Number);
    if (((major << 8) | (minor & 0xff) | ((minor & ~0xff) << 12)) !== dev) continue; // glibc's makedev
    const [type, device] = right.split(' ');
    if (best && fields[4].length <= best.mount.length) continue;
    const journal = type === 'ext4' ? ext4HasJournal(device) : null;
    best = { type, device, mount: fields[4], journal };
  }
  return best;
}

/** jbd2 lists a journal per device as /proc/fs/jbd2/<dev>-8; no entry for a mounted ext4 means none. */
function ext4HasJournal(device: string): boolean | null {
  const name = device.split('/').pop() ?? '';
  if (!existsSync('/proc/fs/jbd2')) return null;
  return readdirSync('/proc/fs/jbd2').some((entry) => entry.startsWith(`${name}-`));
}

/**
 * What creating a file and a directory costs in `parent` right now (ms of wall time each, n of each,
 * in a throwaway directory removed afterwards). Trainyard creates a few files per job where the peers
 * create one, so on a filesystem where creation is slow the ratios move with it: on ext4 without a
 * journal the kernel skips every inode freed in the last ~30 s when it picks one for a new file
 * (ext4's `recently_deleted`), so creation slows with what was deleted just before.
 */
export function fileCreateCost(parent: string, n = 200): { file_ms: number; dir_ms: number } {
  const dir = mkdtempSync(join(parent, 'trainyard-bench-fs-'));
  try {
    let t = performance.now();
    for (let i = 0; i < n; i++) closeSync(openSync(join(dir, `f${i}`), 'wx', 0o600));
    const file_ms = (performance.now() - t) / n;
    t = performance.now();
    for (let i = 0; i < n; i++) mkdirSync(join(dir, `d${i}`), 0o700);
    return { file_ms, dir_ms: (performance.now() - t) / n };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A tiny JSON client on node:http with a keep-alive pool (cheaper per request than fetch). */
export class Client {
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
export interface Cpu {
  self: number;
  children: number;
}
const statFields = (pid: number | string): number[] => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
};
export function procCpu(pid: number): Cpu {
  const f = statFields(pid);
  const tick = 100; // USER_HZ on Linux
  return { self: (f[11] + f[12]) / tick, children: (f[13] + f[14]) / tick };
}
/** Resident set size in MB, from VmRSS in /proc/<pid>/status. */
export function procRssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? NaN) / 1024;
}
export const cpuDelta = (a: Cpu, b: Cpu): Cpu => ({
  self: b.self - a.self,
  children: b.children - a.children,
});
export const clientCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const ppidOf = (pid: string): number => {
  try {
    return statFields(pid)[1];
  } catch {
    return -1; // gone meanwhile
  }
};
const cmdline = (pid: string): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};

/**
 * CPU of the worker's job launcher (dist/bin/trainyard-launcher): `self` its own, `children` what it
 * reaped (the monitors, with the jobs they reaped); zeros before its first launch.
 */
export function launcherCpu(worker: number): Cpu {
  const pid = readdirSync('/proc').find(
    (p) => /^\d+$/.test(p) && ppidOf(p) === worker && cmdline(p).includes('trainyard-launcher'),
  );
  return pid ? procCpu(Number(pid)) : { self: 0, children: 0 };
}

/**
 * The server proper is the worker that main.js (the supervisor) forks: the child of main running
 * `worker.js` (or main's only child, should the file be renamed).
 */
export function workerPid(mainPid: number): number {
  const children = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && ppidOf(p) === mainPid);
  const workers = children.filter((p) => /worker\.js/.test(cmdline(p)));
  const pick = workers.length === 1 ? workers : children;
  if (pick.length !== 1) throw new Error(`expected one worker under ${mainPid}, found ${children.length}`);
  return Number(pick[0]);
}

/** A `command` job request body. */
export const commandJob = (argv: string[], gpus: number) => ({
  job_type: 'command',
  requested_gpus: gpus,
  job_params: { argv },
});

/** Ran on SIGINT/SIGTERM, newest first (and by each owner when done): stop servers, remove homes. */
const cleanups = new Set<() => Promise<void>>();
let interrupted = false;

/** Registers `fn` to run on SIGINT/SIGTERM; returns the function that unregisters it. */
export function onInterrupt(fn: () => Promise<void>): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Throws once SIGINT/SIGTERM arrived, so no new server is started while the run winds down. */
export function assertNotInterrupted(): void {
  if (interrupted) throw new Error('interrupted');
}

/** Makes Ctrl-C stop every server this process started, remove their homes, and exit 130. */
export function installSignalCleanup(): void {
  const drain = async () => {
    for (let last = [...cleanups].pop(); last; last = [...cleanups].pop()) {
      cleanups.delete(last);
      await last().catch(() => undefined);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      void drain().finally(() => process.exit(130));
    });
  }
}

/** Runs `fn` with a fresh temporary TRAINYARD_HOME that is removed afterwards whatever happens. */
export async function withHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  assertNotInterrupted();
  const home = mkdtempSync(join(tmpdir(), 'trainyard-bench-'));
  const cleanup = async () => rmSync(home, { recursive: true, force: true });
  const unregister = onInterrupt(cleanup);
  try {
    return await fn(home);
  } finally {
    unregister();
    await cleanup();
  }
}

/** A running built server with a keep-alive client and /proc readings of its worker. */
export interface BenchServer {
  api: Client;
  server: SpawnedServer;
  workerPid: number;
  /** CPU used so far by the server's worker process (its `children`: processes it reaped). */
  serverCpu: () => Cpu;
  /** CPU used so far by the job launcher, and by the monitors and jobs below it (see launcherCpu). */
  launcherCpu: () => Cpu;
  serverRssMb: () => number;
  /** SIGTERM (SIGKILL after STOP_TIMEOUT_MS) and wait for the exit. */
  stop: () => Promise<void>;
}

/**
 * Starts the built server on `home` (an existing state directory is reused: a restart). The client
 * pools `sockets` keep-alive connections. ENGINE_BENCH_CPU_PROF=<dir> profiles the server processes.
 */
export async function startServer(home: string, args: string[], sockets = 16): Promise<BenchServer> {
  const env: Record<string, string> = { TRAINYARD_LOG_LEVEL: 'warn' };
  const profDir = process.env.ENGINE_BENCH_CPU_PROF;
  if (profDir) env.NODE_OPTIONS = `--require ${profilerPreload(home, resolve(profDir))}`;
  assertNotInterrupted();
  const server = await spawnServer(home, args, env);
  let api: Client | null = null;
  const stop = async () => {
    unregister();
    api?.close();
    await stopServer(server);
  };
  const unregister = onInterrupt(stop);
  try {
    assertNotInterrupted(); // the signal came while it was starting
    if (!server.token) throw new Error(`no token in the banner:\n${server.output()}`);
    api = new Client(server.baseUrl, server.token, sockets);
    const worker = workerPid(server.process.pid!);
    return {
      api,
      server,
      workerPid: worker,
      serverCpu: () => procCpu(worker),
      launcherCpu: () => launcherCpu(worker),
      serverRssMb: () => procRssMb(worker),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs `fn` against a fresh built server; the server is stopped and its home removed whatever happens. */
export async function withServer(
  args: string[],
  fn: (ctx: BenchServer) => Promise<void>,
  sockets = 16,
): Promise<void> {
  await withHome(async (home) => {
    const ctx = await startServer(home, args, sockets);
    try {
      await fn(ctx);
    } finally {
      await ctx.stop();
    }
  });
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

export async function stopServer(server: SpawnedServer): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), STOP_TIMEOUT_MS)));
  const outcome = await Promise.race([server.stop('SIGTERM'), timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') await server.stop('SIGKILL');
}

export const setScheduler = (api: Client, enabled: boolean) =>
  api.ok('POST', '/api/queue/scheduler', { enabled });

export interface SubmitRun {
  /** queue_ids of the acknowledged (201) submits. */
  ids: string[];
  failed: number;
  /** Per acknowledged submit: request start → 201, ms. */
  latencies: number[];
  /** Per acknowledged submit: run start → 201, ms. */
  doneAt: number[];
  elapsedMs: number;
}

/**
 * `clients` closed-loop clients submit `body` until `count` submits were sent or `untilMs`
 * (performance.now() time) passes. A submit counts when answered 201 (sent after the commit).
 */
export async function submitMany(
  api: Client,
  body: unknown,
  clients: number,
  count: number,
  untilMs = Infinity,
): Promise<SubmitRun> {
  const run: SubmitRun = { ids: [], failed: 0, latencies: [], doneAt: [], elapsedMs: 0 };
  let sent = 0;
  const start = performance.now();
  const loop = async () => {
    while (sent < count && performance.now() < untilMs) {
      sent++;
      const t0 = performance.now();
      const answer = await api.call<{ queue_id: string }>('POST', '/api/queue', body);
      const t1 = performance.now();
      if (answer.status !== 201) {
        run.failed++;
        continue;
      }
      run.ids.push(answer.body.queue_id);
      run.latencies.push(t1 - t0);
      run.doneAt.push(t1 - start);
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  run.elapsedMs = performance.now() - start;
  return run;
}

const FINISHED = 'status=done,failed,aborted';

export interface DrainResult {
  /** Wall clock (ms) just before the resume request was sent. */
  resumeWall: number;
  /** Resume request sent → the poll that saw all `count` jobs ended, s. */
  observedS: number;
  ended: number;
  timedOut: boolean;
  /** The batch's job records after the drain. */
  jobs: any[];
  /** The worker's CPU during the drain. */
  cpu: Cpu;
  /** The launcher's (self) and its monitors' and jobs' (children) CPU during the drain. */
  launcher: Cpu;
  /** Answer times of the progress GETs, ms. */
  pollLatencies: number[];
  rssMb: number;
}

/**
 * Submits `count` jobs of `body` while the scheduler is paused, resumes it, and polls every `pollMs`
 * until all of them ended (or `timeoutMs` passed). Counts ended jobs server-wide, so run it on a
 * server with nothing else in flight.
 */
export async function drainBatch(
  { api, serverCpu, launcherCpu, serverRssMb }: BenchServer,
  count: number,
  opts: { body?: unknown; clients?: number; pollMs?: number; timeoutMs?: number } = {},
): Promise<DrainResult> {
  const { body = commandJob(['true'], 0), clients = 16, pollMs = 50, timeoutMs = 180_000 } = opts;
  await setScheduler(api, false);
  const submitted = await submitMany(api, body, clients, count);
  if (submitted.failed) throw new Error(`${submitted.failed} of ${count} submits were refused`);
  const endedBefore = (await api.ok('GET', `/api/jobs?${FINISHED}&limit=1`)).total as number;
  await sleep(500); // let the paused pass triggered by the last submit settle
  const cpu0 = serverCpu();
  const launcher0 = launcherCpu();
  const resumeWall = wallMs();
  const t0 = performance.now();
  await setScheduler(api, true);
  let ended = 0;
  let timedOut = false;
  const pollLatencies: number[] = [];
  for (;;) {
    const tPoll = performance.now();
    ended = (await api.ok('GET', `/api/jobs?${FINISHED}&limit=1`)).total - endedBefore;
    pollLatencies.push(performance.now() - tPoll);
    if (ended >= count) break;
    if (performance.now() - t0 > timeoutMs) {
      timedOut = true;
      break;
    }
    await sleep(pollMs);
  }
  const observedS = (performance.now() - t0) / 1000;
  const cpu = cpuDelta(cpu0, serverCpu());
  const launcher = cpuDelta(launcher0, launcherCpu());
  const wanted = new Set(submitted.ids);
  const jobs: any[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: any[]; next_cursor: string | null } = await api.ok(
      `GET`,
      `/api/jobs?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
    );
    jobs.push(...page.items.filter((j: any) => wanted.has(j.queue_id)));
    cursor = page.next_cursor;
  } while (cursor);
  return { resumeWall, observedS, ended, timedOut, jobs, cpu, launcher, pollLatencies, rssMb: serverRssMb() };
}

/** Answer times (ms) of `samples` sequential GETs of `path`, after `warmup` unrecorded ones. */
export async function timeGets(api: Client, path: string, samples: number, warmup = 10): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < warmup + samples; i++) {
    const t0 = performance.now();
    await api.ok('GET', path);
    if (i >= warmup) times.push(performance.now() - t0);
  }
  return times;
}
