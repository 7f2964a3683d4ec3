import { Injectable, Logger } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { DomainError } from '@trainyard/core';
import { ClusterService } from './cluster.service';

/** Ping round trips per latency probe; the first LATENCY_WARMUP are dropped (connection set-up, JIT). */
export const LATENCY_SAMPLES = 30;
export const LATENCY_WARMUP = 3;
/** Parallel TCP streams of a bandwidth probe, and how long the peer sends on each. */
export const BANDWIDTH_STREAMS = 4;
export const BANDWIDTH_SEND_MS = 2000;
/** A probe result older than this is dropped from the cache. */
export const PROBE_CACHE_MS = 60 * 60 * 1000;
/** The peer's one-shot listener closes after this even if the streams never came. */
const LISTENER_TTL_MS = 10_000;
const TOKEN_BYTES = 32;

export type ProbeState = 'measuring' | 'done' | 'failed';

interface ProbeBase {
  peer_node_id: string;
  hostname: string;
  state: ProbeState;
  /** Why the last measurement failed (state `failed`). */
  error: string | null;
  /** ISO 8601 time of the last finished measurement; null while the first one runs. */
  measured_at: string | null;
}

/** Round trip of the NATS `ping` call to a peer, in milliseconds (null until measured). */
export interface LatencyResult extends ProbeBase {
  samples: number | null;
  min_ms: number | null;
  median_ms: number | null;
  max_ms: number | null;
}

/** Throughput from a peer over raw TCP (BANDWIDTH_STREAMS streams), in MB/s = 10^6 bytes/s. */
export interface BandwidthResult extends ProbeBase {
  streams: number | null;
  bytes: number | null;
  seconds: number | null;
  mb_per_s: number | null;
}

/**
 * Network probes to peers, cached per peer for an hour. A refresh runs in the background: while it
 * runs the peer's row says `measuring` (with the previous figures, if any).
 *
 * Bandwidth: this node draws a 32-byte random token and sends it over the NATS RPC
 * `bandwidth_listen`; the peer opens a one-shot TCP listener, answers its port, accepts only
 * connections that start with the token, sends on each for ~2 s and closes. This node measures what
 * it receives, so kernel buffers do not inflate the figure.
 */
@Injectable()
export class NetworkProbes {
  private readonly logger = new Logger('NetworkProbes');
  private readonly latency = new Map<string, LatencyResult>();
  private readonly bandwidth = new Map<string, BandwidthResult>();

  constructor(private readonly cluster: ClusterService) {
    cluster.handle('bandwidth_listen', (p) => this.listen(p));
  }

  latencyList(): LatencyResult[] {
    return fresh(this.latency);
  }

  bandwidthList(): BandwidthResult[] {
    return fresh(this.bandwidth);
  }

  /** Starts latency probes to `peer` (or every reachable peer); answers the list with them `measuring`. */
  refreshLatency(peer?: string): LatencyResult[] {
    for (const id of this.targets(peer)) {
      start(this.latency, id, this.cluster.member(id).hostname, EMPTY_LATENCY, () => this.measureLatency(id));
    }
    return this.latencyList();
  }

  /** Starts bandwidth probes to `peer` (or every reachable peer); answers the list with them `measuring`. */
  refreshBandwidth(peer?: string): BandwidthResult[] {
    for (const id of this.targets(peer)) {
      start(this.bandwidth, id, this.cluster.member(id).hostname, EMPTY_BANDWIDTH, () =>
        this.measureBandwidth(id),
      );
    }
    return this.bandwidthList();
  }

  /** The peers to probe: `peer` (404 when unknown, 400 for this node) or every reachable other member. */
  private targets(peer?: string): string[] {
    if (peer === undefined)
      return this.cluster
        .memberList()
        .filter((m) => m.reachable && !this.cluster.isThisNode(m.node_id))
        .map((m) => m.node_id);
    if (this.cluster.isThisNode(peer))
      throw new DomainError(
        'VALIDATION_FAILED',
        'peer is this node: probes measure the way to another node',
        [{ field: 'peer', message: 'is this node' }],
      );
    this.cluster.member(peer);
    return [peer];
  }

  private async measureLatency(peer: string): Promise<Partial<LatencyResult>> {
    const rtts: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const t0 = performance.now();
      await this.cluster.call(peer, 'ping', {}, 2000);
      if (i >= LATENCY_WARMUP) rtts.push(performance.now() - t0);
    }
    rtts.sort((a, b) => a - b);
    const mid = rtts.length >> 1;
    const median = rtts.length % 2 ? rtts[mid] : (rtts[mid - 1] + rtts[mid]) / 2;
    return { samples: rtts.length, min_ms: ms(rtts[0]), median_ms: ms(median), max_ms: ms(rtts.at(-1)!) };
  }

  private async measureBandwidth(peer: string): Promise<Partial<BandwidthResult>> {
    const member = this.cluster.member(peer);
    const host = member.addresses[0];
    if (!host) throw new Error(`${member.hostname} advertises no address`);
    const token = randomBytes(TOKEN_BYTES);
    const { port } = await this.cluster.call<{ port: number }>(peer, 'bandwidth_listen', {
      token: token.toString('hex'),
      streams: BANDWIDTH_STREAMS,
    });
    const t0 = performance.now();
    const counts = await Promise.all(
      Array.from({ length: BANDWIDTH_STREAMS }, () => receive(host, port, token)),
    );
    const seconds = (performance.now() - t0) / 1000;
    const bytes = counts.reduce((a, b) => a + b, 0);
    if (bytes === 0) throw new Error(`${member.hostname} sent nothing`);
    return {
      streams: BANDWIDTH_STREAMS,
      bytes,
      seconds: Math.round(seconds * 1000) / 1000,
      mb_per_s: Math.round((bytes / 1e6 / seconds) * 10) / 10,
    };
  }

  /**
   * Peer side: a one-shot TCP listener on all interfaces for `streams` connections that each begin
   * with `token`; anything else is dropped. Closes after the streams arrived or LISTENER_TTL_MS.
   */
  private listen(p: Record<string, unknown>): Promise<{ port: number }> {
    const token =
      typeof p.token === 'string' && /^[0-9a-f]{64}$/.test(p.token) ? Buffer.from(p.token, 'hex') : null;
    const streams = Number(p.streams);
    if (!token || !Number.isInteger(streams) || streams < 1 || streams > 16)
      throw new DomainError(
        'VALIDATION_FAILED',
        'bandwidth_listen needs a 32-byte hex token and 1..16 streams',
      );
    let accepted = 0;
    const server = createServer((socket) => {
      socket.on('error', () => socket.destroy());
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        if (head.length < TOKEN_BYTES) return;
        socket.off('data', onData);
        if (accepted >= streams || !timingSafeEqual(head.subarray(0, TOKEN_BYTES), token)) {
          socket.destroy();
          return;
        }
        if (++accepted === streams) server.close();
        send(socket, BANDWIDTH_SEND_MS);
      };
      socket.on('data', onData);
    });
    const ttl = setTimeout(() => server.close(), LISTENER_TTL_MS);
    server.on('close', () => clearTimeout(ttl));
    return new Promise((resolve, reject) => {
      server.once('error', (err) => {
        this.logger.warn(`bandwidth listener failed: ${err.message}`);
        reject(err);
      });
      server.listen(0, () => {
        const addr = server.address();
        resolve({ port: addr && typeof addr === 'object' ? addr.port : 0 });
      });
    });
  }
}

const EMPTY_LATENCY = { samples: null, min_ms: null, median_ms: null, max_ms: null };
const EMPTY_BANDWIDTH = { streams: null, bytes: null, seconds: null, mb_per_s: null };

function ms(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function fresh<T extends ProbeBase>(cache: Map<string, T>): T[] {
  const cutoff = Date.now() - PROBE_CACHE_MS;
  for (const [id, r] of cache)
    if (r.state !== 'measuring' && r.measured_at && Date.parse(r.measured_at) < cutoff) cache.delete(id);
  return [...cache.values()].sort((a, b) => a.hostname.localeCompare(b.hostname));
}

/** Marks `peer` measuring (keeping its previous figures) and runs `measure` unless one already runs. */
function start<T extends ProbeBase>(
  cache: Map<string, T>,
  peer: string,
  hostname: string,
  empty: Omit<T, keyof ProbeBase>,
  measure: () => Promise<Partial<T>>,
): void {
  const prev = cache.get(peer);
  if (prev?.state === 'measuring') return;
  const base = prev ?? ({ ...empty, peer_node_id: peer, measured_at: null } as T);
  cache.set(peer, { ...base, hostname, state: 'measuring', error: null });
  void measure().then(
    (figures) =>
      cache.set(peer, {
        ...base,
        ...figures,
        hostname,
        state: 'done',
        error: null,
        measured_at: new Date().toISOString(),
      }),
    (err: Error) =>
      cache.set(peer, {
        ...base,
        ...empty,
        hostname,
        state: 'failed',
        error: err.message,
        measured_at: new Date().toISOString(),
      }),
  );
}

/** Connects, sends the token and counts the bytes until the peer closes. */
function receive(host: string, port: number, token: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const socket: Socket = connect({ host, port }, () => socket.write(token));
    socket.setTimeout(LISTENER_TTL_MS, () => socket.destroy(new Error('bandwidth stream stalled')));
    socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    socket.on('end', () => resolve(bytes));
    socket.on('close', () => resolve(bytes));
    socket.on('error', reject);
  });
}

/** Writes a 1 MiB block over and over (respecting back-pressure) for `durationMs`, then ends. */
function send(socket: Socket, durationMs: number): void {
  const block = Buffer.alloc(1024 * 1024, 0x5a);
  const until = performance.now() + durationMs;
  const pump = () => {
    while (performance.now() < until) {
      if (!socket.write(block)) return void socket.once('drain', pump);
    }
    socket.end();
  };
  pump();
}
