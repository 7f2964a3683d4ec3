import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Server } from 'node:net';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { connect } from '@nats-io/transport-node';
import { credsAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { DomainError, packageVersion, SERVER_CONFIG, ServerConfig } from '@trainyard/core';
import type { Subscription } from '@nats-io/nats-core';
import { Database } from '@trainyard/database';
import type { JobStatus } from '@trainyard/jobs';
import { Journal } from '@trainyard/journal';
import { GpuInventory } from '@trainyard/gpus';
import { JournalReplication } from './journal-replication';
import { callNode, RPC_TIMEOUT_MS, serveNodeCalls, type RpcHandler } from './node-rpc';
import { MasterLease, type LeaseRecord, type MasterView } from './master-lease';
import { MemberTable, type Member, type MemberRecord } from './membership';
import { NodeIdentity, type IdentityRecord } from './node-identity';
import {
  advertisedAddresses,
  cpuRamSummary,
  hostname,
  interfaceTable,
  probeTorch,
  type NodeVersions,
} from './node-probe';

/** Heartbeat period; a member silent for STALE_AFTER_MS is unreachable (3 missed beats). */
export const HEARTBEAT_MS = 1000;
export const STALE_AFTER_MS = 3000;
/** Master lease TTL; renewed every third of it. */
export const LEASE_TTL_MS = 3000;
/** The bucket drops a record nobody rewrote for this long (a departed member); NATS 2.9 has no per-key TTL. */
const BUCKET_MAX_AGE_MS = 24 * 3600 * 1000;
const RETRY_MS = 1000;

export type NatsState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ClusterConnectionState {
  state: NatsState;
  /** The NATS server currently connected to (host:port), null when not connected. */
  server: string | null;
  /** ISO 8601 time the state last changed. */
  since: string;
  /** The last connection or setup error, null once connected. */
  last_error: string | null;
}

// transport-node re-exports its types from a package subpath that this repo's module resolution
// cannot see; nats-core's own types are the same ones.
const dial = connect as unknown as (options: ConnectionOptions) => Promise<NatsConnection>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function bucketName(cluster: string): string {
  return `trainyard_${cluster}`;
}

/**
 * Cluster mode: joins `--cluster NAME` through NATS JetStream, or does nothing (standalone, every
 * getter returns null or empty). Never blocks the server: NATS is dialled in the background, and when
 * it is away the server runs on alone, keeps journalling, and re-joins when it returns.
 */
/** A refused server with this node's id not heard from for this long has gone (see idClashProblem). */
const ID_CLASH_FORGET_MS = 5_000;
/**
 * NATS away for longer than this is a health problem: the client retries every RETRY_MS, so a NATS
 * that is back (restarted, or another of the URLs) is joined again well within it.
 */
const DISCONNECTED_PROBLEM_MS = 3_000;

@Injectable()
export class ClusterService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Cluster');
  readonly cluster: string | null;
  private readonly startedAt = new Date().toISOString();
  /** This server process among any others that have this node id (see NodeIdentity). */
  private readonly instanceId = randomUUID();
  private readonly identity: NodeIdentity;
  /** This node's RPC subjects, served only while it holds its node id. */
  private serving: Subscription | null = null;
  private readonly members: MemberTable;
  private readonly lease: MasterLease;
  /** Monotonic time before which the lease is not renewed (a test switch; 0 in production). */
  private leaseRenewalsFrom = 0;
  private readonly replication: JournalReplication | null;
  private versions: NodeVersions = {
    trainyard: packageVersion(),
    node: process.versions.node,
    torch: null,
    cuda: null,
    nccl: null,
  };
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private jsm: JetStreamManager | null = null;
  private kv: KV | null = null;
  private connection: ClusterConnectionState = {
    state: 'connecting',
    server: null,
    since: new Date().toISOString(),
    last_error: null,
  };
  private stopped = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopWatch: (() => void) | null = null;
  private stopJournalRelay: (() => void) | null = null;
  private busy = new Set<string>();
  private readonly handlers: Record<string, RpcHandler> = {};
  /**
   * Another server that has this node's id (a copied state directory or `node_id` file) and was
   * refused it, as it announces itself under `clashes.<node_id>`: its record, last seen when (this clock).
   */
  private idClash: { record: IdentityRecord; lastSeen: number } | null = null;
  /** The KV revision at which this process first held its node id. */
  private firstHeld: number | null = null;

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly db: Database,
    private readonly journal: Journal,
    private readonly gpus: GpuInventory,
    private readonly http: HttpAdapterHost,
  ) {
    this.cluster = config.cluster;
    this.lease = new MasterLease(journal.nodeId, LEASE_TTL_MS);
    // Before it stands for its node, a server checks that its journal carries on the node's history.
    this.identity = new NodeIdentity(journal.nodeId, this.instanceId, STALE_AFTER_MS, {
      checkHistory: () => this.replication!.divergence(this.jsm!),
    });
    this.members = new MemberTable(STALE_AFTER_MS, journal.nodeId);
    this.replication = this.cluster
      ? new JournalReplication(this.cluster, journal.nodeId, db, journal)
      : null;
  }

  get nodeId(): string {
    return this.journal.nodeId;
  }

  get enabled(): boolean {
    return this.cluster !== null;
  }

  /**
   * Whether `nodeId` is the node this server answers for: its own id — unless another server holds
   * that id (this one was refused it, see NodeIdentity): then the node is that other server, shown,
   * called and signed in to like any other member. Ask this, never `nodeId === this.nodeId`.
   */
  isThisNode(nodeId: string): boolean {
    return nodeId === this.nodeId && !this.identity.refused;
  }

  /** Whether another server is this node id's member, not this one (see NodeIdentity.refused). */
  get refused(): boolean {
    return this.identity.refused;
  }

  onApplicationBootstrap(): void {
    if (!this.cluster) return;
    // Once, in the background: importing torch can take seconds.
    void probeTorch().then((v) => (this.versions = { ...this.versions, ...v }));
    this.stopJournalRelay = this.journal.onCommitted(() => this.kickOutbox());
    void this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.cluster || this.stopped) return;
    this.stopped = true;
    this.stopJournalRelay?.();
    for (const t of this.timers) clearInterval(t);
    this.stopWatch?.();
    this.replication?.stop();
    // A clean stop hands the lease on at once rather than after the TTL.
    if (this.kv) await this.lease.release(this.kv).catch(() => undefined);
    if (this.kv) await this.identity.release(this.kv).catch(() => undefined);
    const nc = this.nc;
    this.setState('closed', null);
    if (nc) await nc.close().catch(() => undefined);
  }

  // ---- views for the API ----

  connectionState(): ClusterConnectionState | null {
    return this.cluster ? { ...this.connection } : null;
  }

  /**
   * The URL other nodes and consoles reach this node's API at: `--advertise-url` when given, else
   * what the server listens on — the bound address, or the first advertised address for a wildcard
   * bind (a loopback-bound server advertises a loopback URL: other hosts cannot reach it). Null
   * before it listens.
   */
  apiUrl(addresses: readonly string[]): string | null {
    if (this.config.advertise_url) return this.config.advertise_url;
    const server = this.http.httpAdapter?.getHttpServer() as Server | undefined;
    const bound = server?.address();
    if (!bound || typeof bound !== 'object') return null;
    const wildcard = bound.address === '0.0.0.0' || bound.address === '::' || bound.address === '';
    const host = wildcard ? (addresses[0] ?? '127.0.0.1') : bound.address;
    return `http://${isIP(host) === 6 ? `[${host}]` : host}:${bound.port}`;
  }

  selfRecord(): MemberRecord {
    const interfaces = interfaceTable();
    const addresses = advertisedAddresses(this.config.cluster_address, interfaces);
    const gpus = this.gpus.current().gpus;
    return {
      node_id: this.nodeId,
      hostname: hostname(),
      addresses,
      api_url: this.apiUrl(addresses),
      versions: { ...this.versions },
      interfaces,
      ...cpuRamSummary(),
      gpus: {
        count: gpus.length,
        names: [...new Set(gpus.map((g) => g.name).filter((n): n is string => n !== null))],
        memory_total_mib: gpus.reduce((sum, g) => sum + (g.memory_total_mib ?? 0), 0),
      },
      started_at: this.startedAt,
      heartbeat_at: new Date().toISOString(),
    };
  }

  /**
   * How long ago (ms) `sentAt` — a time by member `nodeId`'s clock — was, corrected for both clocks'
   * offsets to NATS' (see MemberTable.ageOf); null when that member's clock is unknown here (no
   * heartbeat seen yet) or for this node's own times read without a cluster.
   */
  ageOf(nodeId: string, sentAt: number): number | null {
    if (this.isThisNode(nodeId)) return Date.now() - sentAt;
    return this.cluster ? this.members.ageOf(nodeId, sentAt) : null;
  }

  memberList(): Member[] {
    if (!this.cluster) return [];
    // This node is always reachable to itself, whatever the watch has delivered (during a NATS
    // outage its own heartbeats stop coming back: connectionProblem says why the others look away).
    // A server refused its node id is not that member: the table shows the holder's record.
    const list = this.members.list();
    if (!this.standsForNode) return list;
    const self = { ...this.selfRecord(), reachable: true, last_seen_at: new Date().toISOString() };
    const at = list.findIndex((m) => m.node_id === this.nodeId);
    if (at >= 0) list[at] = self;
    else list.push(self);
    return list;
  }

  /**
   * Why the member table is not live right now, in words, else null: this node is not connected to
   * NATS (the others' `reachable` is as last seen before that), or another server holds its node id.
   */
  connectionProblem(): string | null {
    if (!this.cluster) return null;
    const away = this.disconnectedReason();
    // Just started: its own entry is its previous run's (unreachable) until it holds its node id.
    const claiming =
      this.identity.state === 'claiming'
        ? "this server is taking over its node id (its previous run's lease runs out first): its own entry is that run's until then"
        : null;
    return (
      this.refusedProblem() ??
      (away ? `${away}: the other members' state is as last seen, unknown now` : claiming)
    );
  }

  master(): MasterView | null {
    return this.cluster ? this.lease.current() : null;
  }

  /**
   * Why this node cannot reach the others right now, in words (`not connected to NATS: reconnecting
   * since 2026-12-01T12:01:02Z, disconnected from 127.0.0.1:4222`), or null while it is connected
   * (or standalone). What an inter-node call or a submit says instead of a NATS error.
   */
  disconnectedReason(): string | null {
    if (!this.cluster || this.connection.state === 'connected') return null;
    const { state, since, last_error } = this.connection;
    return `this node is not connected to NATS (${state} since ${since}${last_error ? `; ${last_error}` : ''})`;
  }

  isMaster(): boolean {
    return this.cluster !== null && this.lease.isMaster;
  }

  async replicationState(): Promise<{ published_seq: number; consumed_stream_seq: number } | null> {
    if (!this.replication) return null;
    const c = await this.replication.cursor();
    return { published_seq: c.published_seq, consumed_stream_seq: c.consumed_stream_seq };
  }

  replicatedView(after: number, limit: number) {
    return this.replication ? this.replication.list(after, limit) : Promise.resolve({ items: [], total: 0 });
  }

  // ---- inter-node calls ----

  /** Answers `method` for other nodes (and for this node's own calls to itself). */
  handle(method: string, handler: RpcHandler): void {
    this.handlers[method] = handler;
  }

  /**
   * Calls `method` on `nodeId` over NATS request/reply; this node's own id runs the handler in
   * process (so standalone and self calls need no NATS) — unless this server was refused its id:
   * then the node is the other server, reached like any other. Throws the node's DomainError, or
   * NODE_UNREACHABLE.
   */
  async call<T>(
    nodeId: string,
    method: string,
    payload: object = {},
    timeoutMs = RPC_TIMEOUT_MS,
  ): Promise<T> {
    if (this.isThisNode(nodeId)) {
      const handler = this.handlers[method];
      if (!handler) throw new Error(`no local handler for ${method}`);
      return (await handler(JSON.parse(JSON.stringify(payload)) as Record<string, unknown>)) as T;
    }
    if (!this.cluster)
      throw new DomainError('NODE_NOT_FOUND', `no node ${nodeId}: this server is standalone`);
    const away = this.disconnectedReason();
    if (away) throw new DomainError('NODE_UNREACHABLE', `cannot reach node ${nodeId}: ${away}`);
    return callNode<T>(
      this.connection.state === 'connected' ? this.nc : null,
      this.cluster,
      nodeId,
      method,
      payload,
      timeoutMs,
    );
  }

  /** A member by id (404 NODE_NOT_FOUND when this node has never seen it). */
  member(nodeId: string): Member {
    const m = this.memberList().find((x) => x.node_id === nodeId);
    if (!m) throw new DomainError('NODE_NOT_FOUND', `no cluster member ${nodeId}`);
    return m;
  }

  /** The master's lease revision if this node holds the lease now, else null. */
  masterFence(): number | null {
    return this.isMaster() ? (this.lease.current()?.revision ?? null) : null;
  }

  /**
   * Refuses a master-only order from `fromNode` sent under lease revision `fence` when this node
   * knows a newer master (another node, larger revision): a deposed master cannot fan out.
   */
  checkFence(fromNode: string, fence: number): void {
    const now = this.lease.current();
    if (now && now.node_id !== fromNode && now.revision > fence)
      throw new DomainError(
        'NOT_MASTER',
        `node ${fromNode} is no longer master (lease revision ${fence}; ${now.node_id} holds ${now.revision})`,
      );
  }

  /** TEST ONLY (TRAINYARD_TEST_LEASE_LAPSE, see test-switches): no lease renewal for `ms`. */
  testSkipLeaseRenewals(ms: number): void {
    this.leaseRenewalsFrom = performance.now() + ms;
  }

  /** Pushes the outbox now (after a journal write other nodes should see soon). */
  flushJournal(): void {
    this.kickOutbox();
  }

  /** How these jobs of node `nodeId` ended by its replicated entries (see JournalReplication.jobEnds); empty standalone. */
  jobEnds(nodeId: string, queueIds: readonly string[]): Promise<Map<string, JobStatus | null>> {
    return this.replication
      ? this.replication.jobEnds(nodeId, queueIds)
      : Promise.resolve(new Map<string, JobStatus | null>());
  }

  /** The replicated entries of `types` that arrived after stream sequence `after`, in arrival order; none when standalone. */
  bundleEntries(types: readonly string[], after = 0) {
    return this.replication ? this.replication.ofTypes(types, after) : Promise.resolve([]);
  }

  // ---- the NATS session ----

  private setState(state: NatsState, error: string | null): void {
    if (this.connection.state !== state)
      this.connection = { ...this.connection, state, since: new Date().toISOString() };
    this.connection.server = state === 'connected' ? (this.nc?.getServer() ?? null) : null;
    this.connection.last_error = error;
  }

  /**
   * A try to join that failed (retried every second): logged when it first fails and whenever the
   * reason changes — a wrong password or an unreachable NATS must show in the server's log, not
   * only in `cluster status` — never once a second.
   */
  private joinFailed(error: string): void {
    if (error !== this.connection.last_error)
      this.logger.warn(
        `cannot join cluster ${this.cluster} through ${this.config.nats.join(', ')}: ${error}; ` +
          `retrying every ${RETRY_MS / 1000} s (trainyard cluster status shows the state)`,
      );
    this.setState('connecting', error);
  }

  private connectOptions(): ConnectionOptions {
    const c = this.config;
    return {
      servers: c.nats,
      name: `trainyard ${hostname()} ${this.nodeId}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: RETRY_MS,
      pingInterval: 5000,
      maxPingOut: 2,
      ...(c.nats_creds ? { authenticator: credsAuthenticator(readFileSync(c.nats_creds)) } : {}),
      ...(c.nats_user ? { user: c.nats_user, pass: c.nats_password ?? undefined } : {}),
      ...(c.nats_tls_ca ? { tls: { caFile: c.nats_tls_ca } } : {}),
    };
  }

  private async run(): Promise<void> {
    // First contact: retried forever (NATS may come up after us); later outages are the client's
    // own reconnect loop.
    while (!this.stopped && !this.nc) {
      try {
        this.nc = await dial(this.connectOptions());
      } catch (err) {
        this.joinFailed((err as Error).message);
        await sleep(RETRY_MS);
      }
    }
    const nc = this.nc;
    if (!nc || this.stopped) {
      await nc?.close().catch(() => undefined);
      return;
    }
    this.js = jetstream(nc);
    void this.followStatus(nc);
    await this.setUp();
    this.every(HEARTBEAT_MS, 'heartbeat', () => this.heartbeat());
    this.every(this.lease.renewEveryMs, 'lease', async () => {
      // Only the server that holds this node id stands for it (the other would renew its lease).
      if (this.standsForNode && performance.now() >= this.leaseRenewalsFrom) await this.lease.tick(this.kv!);
    });
    this.every(2000, 'outbox', async () => this.kickOutbox());
    void this.loop('watch', () => this.watch());
    void this.loop('journal consumer', () => this.replication!.consume(this.js!));
    this.kickOutbox();
  }

  /** Bucket and stream, created if missing; retried until NATS answers. Run on every (re)connect. */
  private async setUp(): Promise<void> {
    while (!this.stopped) {
      try {
        const nc = this.nc!;
        this.kv = await new Kvm(nc).create(bucketName(this.cluster!), { history: 1, ttl: BUCKET_MAX_AGE_MS });
        this.jsm = await jetstreamManager(nc);
        await this.replication!.ensureStream(this.jsm);
        this.setState('connected', null);
        // Joined only once this server holds its node id (see heartbeat).
        this.logger.log(`connected to NATS ${nc.getServer()} for cluster ${this.cluster}`);
        return;
      } catch (err) {
        this.joinFailed(`JetStream setup failed: ${(err as Error).message}`);
        await sleep(RETRY_MS);
      }
    }
  }

  private async followStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (this.stopped) return;
      if (s.type === 'disconnect') {
        this.setState('reconnecting', `disconnected from ${s.server}`);
        this.logger.warn(`lost NATS (${s.server}); working locally, re-joining when it is back`);
      } else if (s.type === 'reconnect') {
        // A NATS server that restarted without its store has lost the bucket and the stream.
        await this.setUp();
        this.stopWatch?.();
        this.replication?.restartConsumer();
        this.kickOutbox();
      }
    }
  }

  private every(ms: number, what: string, work: () => Promise<void>): void {
    const timer = setInterval(() => {
      if (this.stopped || !this.kv || this.busy.has(what) || this.connection.state !== 'connected') return;
      this.busy.add(what);
      work()
        .catch((err: unknown) => this.logger.debug(`${what}: ${(err as Error).message}`))
        .finally(() => this.busy.delete(what));
    }, ms);
    this.timers.push(timer);
  }

  /** Runs a long-lived reader, starting it again when it ends or fails, until shutdown. */
  private async loop(what: string, work: () => Promise<void>): Promise<void> {
    while (!this.stopped) {
      try {
        await work();
      } catch (err) {
        if (!this.stopped) this.logger.debug(`${what} restarts: ${(err as Error).message}`);
      }
      if (!this.stopped) await sleep(this.connection.state === 'connected' ? 100 : RETRY_MS);
    }
  }

  /**
   * Claims or renews this node's id (see NodeIdentity), checks once per hold that its journal carries
   * on the node's history, then heartbeats as that member and serves its calls — or, while another
   * live server holds the id or the histories differ, serves nothing and says so to the holder.
   */
  private async heartbeat(): Promise<void> {
    const kv = this.kv!;
    const self = this.selfRecord();
    const was = this.identity.state;
    const now = await this.identity.tick(kv, {
      hostname: self.hostname,
      api_url: self.api_url,
      started_at: this.startedAt,
    });
    if (now === 'held') {
      if (was !== 'held')
        this.logger.log(
          was === 'refused'
            ? `node id ${this.nodeId} is free again (the other server that had it stopped): joined cluster ${this.cluster} as ${this.nodeId}`
            : `joined cluster ${this.cluster} as ${this.nodeId}`,
        );
      this.firstHeld ??= this.identity.revision;
      this.serving ??= serveNodeCalls(this.nc!, this.cluster!, this.nodeId, this.handlers);
      await kv.put(`members.${this.nodeId}`, JSON.stringify(self));
      if (was !== 'held') this.kickOutbox();
      return;
    }
    this.stopServing();
    if (!this.identity.refused) return;
    if (now !== was) this.logger.error(this.refusedProblem()!);
    await this.announceClash(kv, self);
  }

  /** Whether this server is its node id's member now: it holds the id and its journal is the node's history. */
  private get standsForNode(): boolean {
    return this.identity.state === 'held';
  }

  private stopServing(): void {
    this.serving?.unsubscribe();
    this.serving = null;
  }

  /** Tells the server that holds this node id (or the next one) that this one was refused it (see idClashProblem). */
  private async announceClash(kv: KV, self: MemberRecord): Promise<void> {
    const me: IdentityRecord = {
      instance_id: this.instanceId,
      hostname: self.hostname,
      api_url: self.api_url,
      started_at: this.startedAt,
    };
    await kv.put(`clashes.${this.nodeId}`, JSON.stringify(me));
  }

  /**
   * Why this server takes no part in the cluster, else null: another live server holds its node id, or
   * its journal is not the node's history (see heartbeat).
   */
  refusedProblem(): string | null {
    const diverged = this.identity.divergence;
    if (diverged)
      return (
        `this server's journal is not the history cluster ${this.cluster} holds for node id ${this.nodeId}: ${diverged}. ` +
        `Another server with this node id (a copied or restored state directory, or a copied node_id file) has been that node since; ` +
        `this server is refused a place in cluster ${this.cluster} (it serves no node calls and takes no ranks; its own jobs run on). ` +
        `To join as a new node: stop this server, remove ${this.config.paths.nodeId} (a new id is made at the next start), and start it again`
      );
    const holder = this.identity.holder;
    if (!holder) return null;
    return (
      `node id ${this.nodeId} is held by another live server (${holder.hostname}, ${holder.api_url ?? 'no API yet'}, ` +
      `started ${holder.started_at}): this server is refused a place in cluster ${this.cluster} (it serves no node calls and takes no ranks). ` +
      `Two servers share a node id when a state directory or its node_id file was copied: stop this server, remove ` +
      `${this.config.paths.nodeId} (a new id is made at the next start), and start it again`
    );
  }

  /**
   * What keeps this node from its cluster work, for `GET /api/health` (null when nothing does, or
   * standalone): another node with its id, or NATS away for longer than a reconnect takes.
   */
  healthProblem(): string | null {
    if (!this.cluster) return null;
    const away = this.disconnectedReason();
    const awayMs = Date.now() - Date.parse(this.connection.since);
    return (
      this.refusedProblem() ??
      this.idClashProblem() ??
      (away && awayMs > DISCONNECTED_PROBLEM_MS
        ? `${away}: no multi-node submits, calls to other nodes or journal replication until it is back (local jobs run on)`
        : null)
    );
  }

  /**
   * Another server with this node's id, refused it while this one holds it, in words while it keeps
   * trying, else null (on the holder; the refused server says refusedProblem).
   */
  idClashProblem(): string | null {
    const clash = this.idClash;
    if (!clash || !this.standsForNode || Date.now() - clash.lastSeen > ID_CLASH_FORGET_MS) return null;
    const { hostname: host, api_url, started_at } = clash.record;
    return (
      `another server has this node's id ${this.nodeId} (${host}, ${api_url ?? 'no API yet'}, started ${started_at}) and is refused a place in the cluster; ` +
      'give it a new id: stop it, remove node_id from its state directory, start it'
    );
  }

  /** What `cluster status` says is wrong with this node's id, else null (refused, or another server refused). */
  identityProblem(): string | null {
    return this.cluster ? (this.refusedProblem() ?? this.idClashProblem()) : null;
  }

  private async watch(): Promise<void> {
    if (!this.kv) return;
    const entries = await this.kv.watch({ key: '>' });
    this.stopWatch = () => entries.stop();
    try {
      for await (const e of entries) this.onEntry(e);
    } finally {
      this.stopWatch = null;
    }
  }

  private onEntry(e: KvEntry): void {
    if (e.key === MasterLease.KEY) {
      this.lease.observe(e.revision, e.operation === 'PUT' ? e.json<LeaseRecord>() : null);
    } else if (e.key.startsWith('members.') && e.operation === 'PUT') {
      try {
        this.members.heartbeat(e.json<MemberRecord>(), e.created.getTime());
      } catch {
        this.logger.warn(`ignored an unreadable member record under ${e.key}`);
      }
    } else if (e.key === `clashes.${this.nodeId}` && e.operation === 'PUT') {
      const record = e.json<IdentityRecord>();
      // One written before this process first held its id (replayed by the watch) is not news.
      if (this.firstHeld === null || e.revision <= this.firstHeld) return;
      if (!this.idClash || Date.now() - this.idClash.lastSeen > ID_CLASH_FORGET_MS)
        this.logger.error(
          `another server has this node's id ${this.nodeId} and was refused it: ${record.hostname}, ${record.api_url ?? 'no API yet'}, started ${record.started_at} (a copied state directory or node_id file?)`,
        );
      this.idClash = { record, lastSeen: Date.now() };
    }
  }

  private kickOutbox(): void {
    if (this.stopped || !this.js || this.connection.state !== 'connected') return;
    // Only the server that holds this node id publishes its journal: two would publish under the
    // same message ids, and the stream would drop one's entries as duplicates.
    if (!this.standsForNode) return;
    void this.replication!.publishPending(this.js);
  }
}
