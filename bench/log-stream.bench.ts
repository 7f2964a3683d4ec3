/**
 * Live log streaming over a loopback WebSocket, through the same code the server uses.
 *   (a) write → client latency: a separate writer process (as a job is) appends a timestamped line
 *       every 10 ms for ~5 s; target p50 ≤ 50 ms.
 *   (b) a 32 MiB backlog delivered to a client (connect → close); target ≤ 0.5 s.
 *
 *   npx ts-node --transpile-only bench/log-stream.bench.ts
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebSocket, WebSocketServer } from 'ws';
// ts-node --transpile-only does not resolve tsconfig path aliases, and libs/jobs has no index yet.
import { streamTtyToSocket, StreamTtyOptions, TtyJobEnd } from '../libs/jobs/src/tty';

const LATENCY_SECONDS = 5;
const WRITE_EVERY_MS = 10;
const BACKLOG_BYTES = 32 * 1024 * 1024;
const BACKLOG_RUNS = 5;

/** Wall-clock milliseconds with sub-ms precision, comparable across processes. */
const wallMs = (): number => performance.timeOrigin + performance.now();

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** One server, one route: every connection streams with the options the current run set. */
async function startServer(): Promise<{
  url: string;
  setOptions: (o: StreamTtyOptions) => void;
  close: () => Promise<void>;
}> {
  let options: StreamTtyOptions | undefined;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (ws) => {
    if (!options) throw new Error('no stream options set');
    streamTtyToSocket(ws, options).catch((err: unknown) => console.error('stream failed:', err));
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    setOptions: (o) => (options = o),
    close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
  };
}

async function benchLatency(dir: string, server: Awaited<ReturnType<typeof startServer>>): Promise<void> {
  const path = join(dir, 'q_1_00000001.tty');
  writeFileSync(path, '');
  let endJob!: (end: TtyJobEnd) => void;
  server.setOptions({ path, follow: true, ended: new Promise<TtyJobEnd>((resolve) => (endJob = resolve)) });

  const latencies: number[] = [];
  let pending = '';
  const client = new WebSocket(server.url);
  client.on('message', (data, isBinary) => {
    if (!isBinary) return;
    const now = wallMs();
    pending += (data as Buffer).toString('latin1');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) latencies.push(now - Number(line.split(' ')[0]));
  });
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await new Promise((resolve) => client.once('open', resolve));

  // The job side: another process appending with plain write(2) calls, timestamp first.
  const writer = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('fs'); const { performance } = require('perf_hooks');
       const fd = fs.openSync(process.argv[1], 'a');
       let n = 0; const total = ${Math.round((LATENCY_SECONDS * 1000) / WRITE_EVERY_MS)};
       const t = setInterval(() => {
         fs.writeSync(fd, (performance.timeOrigin + performance.now()).toFixed(3) + ' line ' + n + ' \\x1b[32m' + '.'.repeat(60) + '\\x1b[0m\\n');
         if (++n === total) { clearInterval(t); fs.closeSync(fd); }
       }, ${WRITE_EVERY_MS});`,
      path,
    ],
    { stdio: 'inherit' },
  );
  const writerExit = new Promise<void>((resolve) => writer.once('exit', () => resolve()));
  await writerExit;
  endJob({ status: 'done', exit_code: 0 });
  await closed;

  const sorted = latencies.sort((a, b) => a - b);
  const fmt = (ms: number) => ms.toFixed(2).padStart(6);
  console.log(
    `(a) write → client latency, ${sorted.length} lines at ${WRITE_EVERY_MS} ms: ` +
      `p50 ${fmt(percentile(sorted, 50))} ms  p99 ${fmt(percentile(sorted, 99))} ms  ` +
      `max ${fmt(sorted[sorted.length - 1])} ms   (target p50 ≤ 50 ms)`,
  );
}

async function benchBacklog(dir: string, server: Awaited<ReturnType<typeof startServer>>): Promise<void> {
  const path = join(dir, 'q_1_00000002.tty');
  const line = Buffer.from(`epoch 3 step 1200 loss 0.4321 \x1b[33m${'#'.repeat(40)}\x1b[0m 42%\r\n`);
  const content = Buffer.alloc(BACKLOG_BYTES + 4096, line);
  await writeFile(path, content);
  server.setOptions({ path, follow: true, ended: null, final: { status: 'done', exit_code: 0 } });

  const times: number[] = [];
  let received = 0;
  for (let run = 0; run < BACKLOG_RUNS; run++) {
    received = 0;
    const start = performance.now();
    const client = new WebSocket(server.url);
    client.on('message', (data, isBinary) => {
      if (isBinary) received += (data as Buffer).length;
    });
    await new Promise<void>((resolve) => client.once('close', () => resolve()));
    times.push(performance.now() - start);
  }
  const sorted = times.slice().sort((a, b) => a - b);
  console.log(
    `(b) ${(received / 1048576).toFixed(2)} MiB backlog, connect → close, ${BACKLOG_RUNS} runs: ` +
      `median ${percentile(sorted, 50).toFixed(1)} ms  best ${sorted[0].toFixed(1)} ms  worst ` +
      `${sorted[sorted.length - 1].toFixed(1)} ms   (target ≤ 500 ms)`,
  );
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'log-stream-bench-'));
  const server = await startServer();
  try {
    await benchLatency(dir, server);
    await benchBacklog(dir, server);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
  const cpu = cpus();
  console.log(`  node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
