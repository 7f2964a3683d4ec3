/**
 * Shared plumbing for the reliability suite: built-server lifecycle (start, crash, restart), raw
 * HTTP, a seeded PRNG, latency statistics and table printing. It runs standalone under
 * `ts-node --transpile-only` and imports nothing from the server's code.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { makeTempHome } from '../support/temp-home';
import { childPids, isAlive, jobProcesses, signalAll } from './proc';

export { isAlive, jobProcesses, signalAll };

// ---------------------------------------------------------------------------------------------
// Output

export function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A Markdown table (so the README can quote it as is), columns padded to their widest cell. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (c ?? '').padEnd(widths[i])).join(' | ')} |`;
  return [
    line(cells[0]),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.slice(1).map(line),
  ].join('\n');
}

export function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

export function seconds(valueMs: number): string {
  return `${(valueMs / 1000).toFixed(1)} s`;
}

export function mib(kb: number | null): string {
  return kb === null ? 'n/a' : `${(kb / 1024).toFixed(1)} MiB`;
}

// ---------------------------------------------------------------------------------------------
// Determinism and statistics

/** mulberry32: a small, good-enough seeded PRNG so a failing run can be replayed with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export const sleep = (msToWait: number) => new Promise<void>((resolve) => setTimeout(resolve, msToWait));

/** Polls `probe` until it returns something other than undefined/false; throws after `timeoutMs`. */
export async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds(timeoutMs)} waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: any;
}

export interface RawRequest {
  method: string;
  /** Sent exactly as given: no normalisation of `..` or percent-escapes. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
  agent?: http.Agent;
}

/** One HTTP request with node:http, so paths, headers and bodies go out byte for byte as given. */
export function httpRequest(baseUrl: string, req: RawRequest): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    const outgoing = http.request(
      {
        host: url.hostname,
        port: Number(url.port),
        method: req.method,
        path: req.path,
        headers,
        agent: req.agent ?? false,
        timeout: req.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    outgoing.on('timeout', () =>
      outgoing.destroy(new Error(`timed out after ${req.timeoutMs ?? 30_000} ms`)),
    );
    outgoing.on('error', reject);
    if (req.body !== undefined) outgoing.write(req.body);
    outgoing.end();
  });
}

/** JSON request with the bearer token; throws on transport errors only. */
export function api(
  baseUrl: string,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const h: Record<string, string> = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  return httpRequest(baseUrl, {
    method,
    path,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The `name=value` of the session cookie in a login answer. */
export function sessionCookieOf(answer: RawAnswer): string {
  const raw = ([] as string[])
    .concat(answer.headers['set-cookie'] ?? [])
    .find((c) => c.startsWith('trainyard_session_'));
  if (!raw) throw new Error(`login answered ${answer.status} without a session cookie: ${answer.text}`);
  return raw.split(';')[0];
}

/** Is something accepting TCP connections on this port of 127.0.0.1? */
export function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// ---------------------------------------------------------------------------------------------
// /proc

/** VmRSS of a process in kB, or null when it is gone. */
export function rssKb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Servers

export const SERVER_MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'server', 'src', 'main.js');

export interface Server {
  /** The supervisor (`node dist/apps/server/src/main.js`). */
  child: ChildProcess;
  /** stdout + stderr so far (the last 256 KiB). */
  output: () => string;
  baseUrl: string;
  port: number;
  token: string;
  home: string;
  supervisorPid: number;
  /** The worker process (the one holding the database and the port): the supervisor's child. */
  workerPid: number;
}

/**
 * Starts the built server as a user does, on a free port, and waits for its banner. Like
 * test/support/spawned-server.ts, with a generous banner timeout: these checks run on small,
 * shared machines where a boot can take many seconds.
 */
async function spawnBuilt(
  home: string,
  args: string[],
  bannerTimeoutMs: number,
): Promise<{ child: ChildProcess; output: () => string; baseUrl: string; token: string }> {
  const child = spawn(process.execPath, [SERVER_MAIN, '--port', '0', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home, TRAINYARD_HOME: home, TRAINYARD_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    if (text.length > 512 * 1024) text = text.slice(-256 * 1024);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const banner = /running at:\n\s+(http:\/\/[^/\s]+)\/\?token=([0-9a-f]{64})/;
  const match = await until(
    () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`server exited (${child.exitCode ?? child.signalCode}) before its banner:\n${text}`);
      }
      return banner.exec(text) ?? undefined;
    },
    'the server banner',
    bannerTimeoutMs,
    50,
  );
  return { child, output: () => text, baseUrl: match[1], token: match[2] };
}

// A restarted worker's banner leaves the token out of its link (the first one has it).
const BANNER = /running at:\n\s+(http:\/\/[^/\s]+)\//g;

/** How many banners the server printed so far (one per worker started). */
export function bannerCount(server: Server): number {
  return [...server.output().matchAll(BANNER)].length;
}

/**
 * After the worker died: waits for the supervisor's banner number `before + 1` (a new worker) and
 * points `server` at it (its URL, port and pid).
 */
export async function awaitNewWorker(server: Server, before: number, timeoutMs: number): Promise<void> {
  const match = await until(
    () => {
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        throw new Error(
          `the supervisor exited (${server.child.exitCode ?? server.child.signalCode}) instead`,
        );
      }
      return [...server.output().matchAll(BANNER)][before];
    },
    'a new worker to print its banner',
    timeoutMs,
  );
  server.baseUrl = match[1];
  server.port = Number(new URL(match[1]).port);
  server.workerPid = await until(
    () => childPids(server.supervisorPid).find((pid) => pid !== server.workerPid),
    'the new worker process',
    10_000,
  );
}

/** Signals the supervisor and waits for it to exit. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/**
 * Everything a check starts: servers, state directories, job process roots. `dispose` stops and
 * removes all of it, whatever state the check ended in.
 */
export class Scope {
  private readonly servers = new Set<Server>();
  private readonly homes: Array<{ home: string; remove: () => void }> = [];
  private readonly jobRoots = new Set<number>();

  static readonly all = new Set<Scope>();

  constructor(readonly name: string) {
    Scope.all.add(this);
  }

  newHome(): string {
    const temp = makeTempHome(`trainyard-reliability-${this.name}-`);
    this.homes.push(temp);
    return temp.home;
  }

  /** Starts the built server (`node dist/apps/server/src/main.js`) on a free port; up to 90 s to boot. */
  async start(home: string, args: string[] = []): Promise<Server> {
    const spawned = await spawnBuilt(home, args, 90_000);
    const supervisorPid = spawned.child.pid!;
    const workerPid = await until(() => childPids(supervisorPid)[0], 'the worker process', 10_000);
    const server: Server = {
      ...spawned,
      port: Number(new URL(spawned.baseUrl).port),
      home,
      supervisorPid,
      workerPid,
    };
    this.servers.add(server);
    return server;
  }

  /**
   * A crash: SIGKILL the worker (the process with the database and the port) and the supervisor,
   * then wait until the worker is gone and the port refuses connections.
   */
  async crash(server: Server): Promise<void> {
    try {
      process.kill(server.workerPid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await stopChild(server.child, 'SIGKILL');
    await until(() => !isAlive(server.workerPid), `worker ${server.workerPid} to exit`, 15_000);
    await until(async () => !(await portAccepts(server.port)), `port ${server.port} to be free`, 15_000);
    this.servers.delete(server);
  }

  /** A clean stop (SIGTERM through the supervisor); SIGKILL after 15 s. */
  async stop(server: Server): Promise<void> {
    const stopped = stopChild(server.child, 'SIGTERM');
    const timer = sleep(15_000).then(() => 'timeout' as const);
    if ((await Promise.race([stopped, timer])) === 'timeout') {
      log(`  (server ${server.baseUrl} ignored SIGTERM for 15 s; SIGKILL)`);
      await this.crash(server);
      return;
    }
    await until(() => !isAlive(server.workerPid), `worker ${server.workerPid} to exit`, 15_000);
    this.servers.delete(server);
  }

  /** Remember a job's root pid so `dispose` can kill whatever is left of it. */
  trackJob(pid: number | null | undefined): void {
    if (pid) this.jobRoots.add(pid);
  }

  killJobs(): number {
    let killed = 0;
    for (const root of this.jobRoots) {
      killed += signalAll(jobProcesses(root), 'SIGKILL').length;
    }
    this.jobRoots.clear();
    return killed;
  }

  async dispose(keepHomes = false): Promise<void> {
    for (const server of [...this.servers]) {
      try {
        await this.stop(server);
      } catch (err) {
        log(`  (could not stop ${server.baseUrl}: ${String(err)})`);
      }
    }
    this.killJobs();
    if (keepHomes) for (const h of this.homes) log(`  (kept state directory ${h.home})`);
    else for (const h of this.homes) rmSync(h.home, { recursive: true, force: true });
    Scope.all.delete(this);
  }

  /** Synchronous last resort (Ctrl-C): SIGKILL everything this scope started. */
  killAllNow(): void {
    for (const server of this.servers) {
      for (const pid of [server.workerPid, server.supervisorPid]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    this.killJobs();
  }
}

// ---------------------------------------------------------------------------------------------
// Jobs

export const NO_SUCH_JOB = 'q_1234567890123_deadbeef';

export async function pauseScheduler(server: Server): Promise<void> {
  const answer = await api(server.baseUrl, server.token, 'POST', '/api/queue/scheduler', { enabled: false });
  if (answer.status !== 200 || answer.json?.enabled !== false) {
    throw new Error(`could not pause the scheduler: ${answer.status} ${answer.text}`);
  }
}

export async function submitCommand(
  server: Server,
  script: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const answer = await api(server.baseUrl, server.token, 'POST', '/api/queue', {
    job_type: 'command',
    requested_gpus: 0,
    job_params: { argv: ['sh', '-c', script] },
    ...extra,
  });
  if (answer.status !== 201) throw new Error(`submit failed: ${answer.status} ${answer.text}`);
  return answer.json.queue_id as string;
}

export async function getJob(server: Server, id: string): Promise<any> {
  const answer = await api(server.baseUrl, server.token, 'GET', `/api/jobs/${id}`);
  if (answer.status !== 200) throw new Error(`GET /api/jobs/${id}: ${answer.status} ${answer.text}`);
  return answer.json;
}

export function waitForStatus(
  server: Server,
  id: string,
  statuses: string[],
  timeoutMs: number,
): Promise<any> {
  return until(
    async () => {
      const job = await getJob(server, id);
      return statuses.includes(job.status) ? job : undefined;
    },
    `${id} to be ${statuses.join('/')}`,
    timeoutMs,
    100,
  );
}

/** Every row of a paged list (`{items, next_cursor}`). */
export async function allPages(server: Server, path: string, limit = 500): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const answer = await api(
      server.baseUrl,
      server.token,
      'GET',
      `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${answer.text}`);
    items.push(...answer.json.items);
    cursor = answer.json.next_cursor;
    if (!cursor) return items;
  }
  throw new Error(`${path}: too many pages`);
}
