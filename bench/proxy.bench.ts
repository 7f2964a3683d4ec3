/**
 * The inference proxy's cost: a 1,000-chunk SSE stream from the fixture OpenAI server (its own
 * process), read straight from it and through the built server's /api/inference/completions.
 *   (a) added latency per chunk: each chunk carries the wall-clock time it was written; latency =
 *       arrival − written, 1 ms between chunks; added p50 = p50(proxied) − p50(direct); target ≤ 1 ms.
 *   (b) throughput: the same stream written as fast as it is read; bytes ÷ (request → last byte),
 *       proxied ÷ direct, medians; target ≥ 90 %. Time to first byte is printed apart.
 *   (c) 50 concurrent proxied streams: every one complete, byte-identical, no error.
 *
 *   npm run build && npx ts-node --transpile-only bench/proxy.bench.ts
 * Environment: BENCH_PROXY_RUNS (10: streams per side for (a) and (b)).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { installSignalCleanup, percentile, sortNum, startServer, withHome } from './support';

const CHUNKS = 1_000;
const CONCURRENT = 50;
const RUNS = Number(process.env.BENCH_PROXY_RUNS) || 10;
const wallMs = (): number => performance.timeOrigin + performance.now();
const agent = new Agent({ connections: CONCURRENT * 2 });

interface StreamRead {
  bytes: Buffer;
  /** Request sent → first body byte (the proxy's per-request setup shows here). */
  firstByteMs: number;
  /** First body byte → last: the streaming part, what throughput is computed on. */
  streamMs: number;
  latencies: number[];
}

/** Reads one streamed completion; per SSE event, arrival − the stamp the fixture wrote in it. */
async function readStream(url: string, headers: Record<string, string>, body: object): Promise<StreamRead> {
  const started = performance.now();
  const res = await request(url, { method: 'POST', headers, body: JSON.stringify(body), dispatcher: agent });
  if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode} ${await res.body.text()}`);
  const chunks: Buffer[] = [];
  const latencies: number[] = [];
  let pending = '';
  let first = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    const now = wallMs();
    first ||= performance.now();
    chunks.push(chunk);
    pending += chunk.toString('utf8');
    const events = pending.split('\n\n');
    pending = events.pop()!;
    for (const event of events) {
      const stamp = /t=(\d+\.\d+)/.exec(event);
      if (stamp) latencies.push(now - Number(stamp[1]));
    }
  }
  const end = performance.now();
  return { bytes: Buffer.concat(chunks), firstByteMs: first - started, streamMs: end - first, latencies };
}

async function startFixture(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [join(__dirname, '..', 'test', 'fixtures', 'openai', 'openai-server.js')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /on (http:\/\/\S+)/.exec(d.toString());
      if (m) resolveUrl(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`fixture exited ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

async function main(): Promise<void> {
  installSignalCleanup();
  const fixture = await startFixture();
  try {
    await withHome(async (home) => {
      const server = await startServer(home, []);
      try {
        const json = { 'content-type': 'application/json' };
        const direct = `${fixture.url}/completions`;
        const proxied = `${server.server.baseUrl}/api/inference/completions?base=${encodeURIComponent(fixture.url)}`;
        const proxyHeaders = { ...json, authorization: `Bearer ${server.server.token}` };
        const paced = { stream: true, max_tokens: CHUNKS, fixture: { delay_ms: 1, stamp: true } };
        const flat = { stream: true, max_tokens: CHUNKS };

        // Warm both paths (connections, JIT).
        await readStream(direct, json, flat);
        await readStream(proxied, proxyHeaders, flat);

        const lat = { direct: [] as number[], proxied: [] as number[] };
        const tput = { direct: [] as number[], proxied: [] as number[] };
        const ttfb = { direct: [] as number[], proxied: [] as number[] };
        for (let i = 0; i < RUNS; i++) {
          lat.direct.push(...(await readStream(direct, json, paced)).latencies);
          lat.proxied.push(...(await readStream(proxied, proxyHeaders, paced)).latencies);
          const d = await readStream(direct, json, flat);
          const p = await readStream(proxied, proxyHeaders, flat);
          if (!d.bytes.equals(p.bytes)) throw new Error('proxied bytes differ from direct bytes');
          tput.direct.push(d.bytes.length / (d.firstByteMs + d.streamMs));
          tput.proxied.push(p.bytes.length / (p.firstByteMs + p.streamMs));
          ttfb.direct.push(d.firstByteMs);
          ttfb.proxied.push(p.firstByteMs);
        }
        const p50 = (xs: number[]) => percentile(sortNum(xs), 50);
        const p99 = (xs: number[]) => percentile(sortNum(xs), 99);
        const added = p50(lat.proxied) - p50(lat.direct);
        const ratio = p50(tput.proxied) / p50(tput.direct);

        const expected = (await readStream(direct, json, flat)).bytes;
        const results = await Promise.allSettled(
          Array.from({ length: CONCURRENT }, () => readStream(proxied, proxyHeaders, flat)),
        );
        const failures = results.filter(
          (r) => r.status === 'rejected' || !r.value.bytes.equals(expected),
        ).length;

        const row = (name: string, value: string, target: string, ok: boolean) =>
          console.log(
            `${name.padEnd(44)} ${value.padStart(22)}   target ${target.padEnd(10)} ${ok ? 'met' : 'NOT MET'}`,
          );
        console.log(`inference proxy, ${CHUNKS}-chunk SSE stream, ${RUNS} runs per side`);
        console.log(
          `  latency p50 direct ${p50(lat.direct).toFixed(3)} ms, proxied ${p50(lat.proxied).toFixed(3)} ms` +
            ` (p99 ${p99(lat.direct).toFixed(3)} / ${p99(lat.proxied).toFixed(3)} ms)`,
        );
        console.log(
          `  throughput p50 (request → last byte) direct ${(p50(tput.direct) / 1024).toFixed(1)} MiB/s,` +
            ` proxied ${(p50(tput.proxied) / 1024).toFixed(1)} MiB/s`,
        );
        console.log(
          `  request → first byte p50 direct ${p50(ttfb.direct).toFixed(2)} ms, proxied ${p50(ttfb.proxied).toFixed(2)} ms` +
            ' (auth gate, routing, token lookup: once per request)',
        );
        row('added latency per chunk (p50)', `${added.toFixed(3)} ms`, '≤ 1 ms', added <= 1);
        row('throughput through the proxy / direct', `${(ratio * 100).toFixed(1)} %`, '≥ 90 %', ratio >= 0.9);
        row(`${CONCURRENT} concurrent proxied streams, failures`, String(failures), '0', failures === 0);
      } finally {
        await server.stop();
      }
    });
  } finally {
    fixture.stop();
    await agent.close();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
