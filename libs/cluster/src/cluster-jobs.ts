import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DomainError, plural, type ErrorDetail } from '@trainyard/core';
import type { JobDto, JobStatus } from '@trainyard/jobs';
import { Journal } from '@trainyard/journal';
import {
  capacityList,
  capacityOf,
  checkParticipants,
  DEFAULT_RDZV_PORT,
  endpoint,
  interfaceEnv,
  interfaceFor,
  neverPlaceable,
  nodeLabel,
  pickNodes,
  rankStatusOf,
  rollUp,
  torchrunArgv,
  versionMismatches,
  type BundleRank,
  type BundleRecord,
  type BundleStatus,
  type RankStatus,
  enqueueKey,
  BundleBook,
  type BundleEntry,
  type BundleFold,
  type BundleState,
  type NodeCapacity,
} from './bundles';
import {
  ClusterBundleCancelledEvent,
  ClusterBundleFailedEvent,
  ClusterBundleRankEnqueuedEvent,
  ClusterBundleSubmittedEvent,
  ClusterBundleSubmittingEvent,
} from './cluster.events';
import { ClusterService } from './cluster.service';
import type { EnqueueRequest, NodeGpus, RankByKey, RankJobState } from './node-endpoint';
import type { Member } from './membership';
import { NodeCallTimeout } from './node-rpc';
import { testSwitchMs } from './test-switches';
import { journalEntryTypeOf } from '@trainyard/journal';

/** What POST /api/cluster/jobs/submit takes (see ClusterSubmitRequestDto for the field docs). */
export interface BundleSubmitRequest {
  script: string;
  args?: string[];
  torchrun?: string;
  name?: string;
  priority?: number;
  cwd?: string;
  env?: Record<string, string>;
  participants?: Array<{ node_id: string; gpus: number; nproc_per_node?: number; ifname?: string }>;
  nodes?: number;
  gpus_per_node?: number;
  rdzv_node_id?: string;
  rdzv_port?: number;
  allow_version_mismatch?: boolean;
}

export interface BundleView extends BundleRecord {
  status: BundleStatus;
  state: BundleState;
  /** Why a `failed` bundle was rolled back; null otherwise. */
  failure_reason: string | null;
  cancelled_at: string | null;
  ranks: Array<BundleRank & { status: RankStatus }>;
  /** Version differences the submit was allowed to go ahead with. */
  warnings: string[];
}

/**
 * A rank to stop: its job on its node; `rollback`: a rolled-back bundle's, killed at once and ended
 * `bundle_rollback` (nobody asked: its bundle could not start), else cancelled with its grace period
 * (the user's cancel of the bundle: `user_abort`).
 */
type RankToCancel = BundleRank & { queue_id: string; rollback: boolean };

const SUBMITTING = journalEntryTypeOf(ClusterBundleSubmittingEvent);
const RANK = journalEntryTypeOf(ClusterBundleRankEnqueuedEvent);
const SUBMITTED = journalEntryTypeOf(ClusterBundleSubmittedEvent);
const FAILED = journalEntryTypeOf(ClusterBundleFailedEvent);
const CANCELLED = journalEntryTypeOf(ClusterBundleCancelledEvent);
const BUNDLE_TYPES = [SUBMITTING, RANK, SUBMITTED, FAILED, CANCELLED];

/** Newest first: `created_at` descending, then id descending (ids of one millisecond). */
function newestFirst(a: BundleKey, b: BundleKey): number {
  return b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id);
}

type BundleKey = Pick<BundleRecord, 'id' | 'created_at'>;

/** The list cursor after `b`: its sort key, base64url JSON. */
function bundleCursor(b: BundleKey): string {
  return Buffer.from(JSON.stringify([b.created_at, b.id])).toString('base64url');
}

/** The sort key a cursor from bundleCursor holds; a 400 on `cursor` for anything else. */
function bundleCursorKey(cursor: string): BundleKey {
  try {
    const [created_at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    const valid =
      typeof created_at === 'string' &&
      !Number.isNaN(Date.parse(created_at)) &&
      typeof id === 'string' &&
      /^cj_\d{13}_[0-9a-f]{8}$/.test(id);
    if (valid) return { created_at, id };
  } catch {
    /* below */
  }
  throw new DomainError('VALIDATION_FAILED', 'cursor must be a value from next_cursor', [
    { field: 'cursor', message: 'not a cluster jobs cursor' },
  ]);
}

/** Rank statuses that never change again. */
const RANK_ENDED: ReadonlySet<RankStatus> = new Set(['done', 'failed', 'cancelled']);

/** A replicated entry about a bundle, by its kind; null for another type. */
function bundleEntryOf(type: string, p: Record<string, never>): BundleEntry | null {
  switch (type) {
    case SUBMITTING:
      return { kind: 'submitting', bundle: p.bundle };
    case RANK:
      return { kind: 'rank', bundle_id: p.bundle_id, node_rank: p.node_rank, queue_id: p.queue_id };
    case SUBMITTED:
      return { kind: 'submitted', bundle: p.bundle };
    case FAILED:
      return { kind: 'failed', bundle_id: p.bundle_id, reason: p.reason };
    case CANCELLED:
      return { kind: 'cancelled', bundle_id: p.bundle_id, cancelled_at: p.cancelled_at };
    default:
      return null;
  }
}
/** How often the master looks for bundles a previous master left `submitting`. */
const RESOLVE_EVERY_MS = 1000;
/** How long a submit waits for its own bundle to come back through the stream (read-your-writes). */
const REPLICATION_WAIT_MS = 3000;
/** A rank status fan-out waits this long per node; a silent node's ranks read `unknown`. */
const STATUS_TIMEOUT_MS = 2000;
/** How long the master waits for a node's answer to a rank's order (the node refuses it later). */
const ENQUEUE_ANSWER_MS = 5000;
/** The master's whole fan-out, forwarded from another node. */
const SUBMIT_FORWARD_TIMEOUT_MS = 60_000;
/** How often a forwarded submit checks that its master still holds the lease. */
const MASTER_WATCH_MS = 250;
/**
 * How long a submit whose master went away mid-fan-out waits for the bundle's outcome (the next
 * master resolves a `submitting` bundle within a second or two of taking the lease).
 */
const OUTCOME_WAIT_MS = 8000;
/** Bundle ids: `cj_<ms since the epoch>_<8 hex>`, made by the node that took the submit. */
const BUNDLE_ID = /^cj_\d{13}_[0-9a-f]{8}$/;

/**
 * Multi-node training bundles. A submit on any node goes to the master, which alone fans the ranks
 * out (fenced by its lease revision), all or nothing, and journals the bundle; the journal entry
 * reaches every node through the cluster stream, so every node lists the same bundles and a restart
 * of any node loses none. Status is rolled up live from each rank's node.
 */
@Injectable()
export class ClusterJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ClusterJobs');
  /** Bundles this process is fanning out right now (the resolver leaves them alone). */
  private readonly fanningOut = new Set<string>();
  /**
   * Bundles whose fan-out this process settled (journaled `submitted` or `failed`) while its own
   * view may still show them `submitting`: the resolver must not settle them a second time.
   */
  private readonly settledHere = new Set<string>();
  private resolver: NodeJS.Timeout | null = null;
  private resolving = false;
  /** The bundles, folded from the replicated entries up to stream sequence `bookSeq` (see catchUp). */
  private readonly book = new BundleBook();
  private bookSeq = 0;
  /**
   * The ranks whose jobs have ended (`<node_id>/<queue_id>` → done, failed or cancelled): an ended
   * job never runs again, so its node is not asked again — a list asks only about live ranks, and a
   * finished bundle reads the same while one of its nodes is away.
   */
  private readonly endedRanks = new Map<string, RankStatus>();
  /**
   * Plan keys of cancelled or rolled-back bundles' ranks this master found never queued or ended
   * (not asked about again).
   */
  private readonly settledRanks = new Set<string>();
  /** Ranks of cancelled or rolled-back bundles still queued, running or unanswered at this master's last check. */
  cancelsPending = 0;

  constructor(
    private readonly cluster: ClusterService,
    private readonly journal: Journal,
  ) {
    cluster.handle('bundle_submit', (p) => {
      const { bundle_id: id, ...req } = p;
      return this.submitAsMaster(req as unknown as BundleSubmitRequest, id);
    });
  }

  onApplicationBootstrap(): void {
    if (!this.cluster.enabled) return;
    this.resolver = setInterval(() => {
      if (this.resolving || !this.cluster.isMaster()) return;
      this.resolving = true;
      // One read of the bundles for both passes: this runs every second on the master.
      this.records()
        .then(async (records) => {
          await this.resolveStranded(records);
          await this.stopBrokenBundles(records);
          await this.enforceCancels(records);
        })
        .catch((err: Error) => this.logger.warn(`resolving stranded bundles: ${err.message}`))
        .finally(() => (this.resolving = false));
    }, RESOLVE_EVERY_MS);
  }

  onApplicationShutdown(): void {
    if (this.resolver) clearInterval(this.resolver);
  }

  /**
   * Submits through the master (this node when it is); answers the bundle with its rolled-up status.
   * The bundle's id is made here, so that when the master goes away mid-fan-out (killed, frozen, its
   * lease lapsed) this node can follow the bundle to its outcome — completed or rolled back by the
   * next master — instead of answering a failure for a bundle that may run. Throws
   * SUBMIT_OUTCOME_UNKNOWN (504, naming the bundle) when no outcome shows within OUTCOME_WAIT_MS.
   */
  async submit(req: BundleSubmitRequest): Promise<BundleView> {
    if (!this.cluster.enabled)
      throw new DomainError(
        'CLUSTER_DISABLED',
        'multi-node submit needs cluster mode (--cluster NAME --nats URL)',
      );
    const master = this.cluster.master();
    if (!master)
      throw new DomainError(
        'NODE_UNREACHABLE',
        this.cluster.disconnectedReason() ?? 'no master right now (a failover is under way); retry',
      );
    const id = newBundleId();
    let view: BundleView;
    try {
      view = await this.whileMasterLives(
        master.node_id,
        this.cluster.call<BundleView>(
          master.node_id,
          'bundle_submit',
          { ...req, bundle_id: id },
          SUBMIT_FORWARD_TIMEOUT_MS,
        ),
      );
    } catch (err) {
      if (
        err instanceof NodeCallTimeout ||
        (err instanceof DomainError && err.code === 'SUBMIT_OUTCOME_UNKNOWN')
      )
        return this.awaitOutcome(id, err.message);
      throw err;
    }
    // Read-your-writes: the bundle is listed here once its entry came back through the stream.
    const deadline = Date.now() + REPLICATION_WAIT_MS;
    while (Date.now() < deadline && (await this.record(view.id))?.state !== view.state) await sleep(20);
    return view;
  }

  /**
   * `call`'s answer, unless the master it went to loses its lease first (killed, frozen, cut off):
   * then SUBMIT_OUTCOME_UNKNOWN at once, not when the forward times out a minute later (the caller
   * follows the bundle to the outcome the next master gives it).
   */
  private whileMasterLives<T>(masterId: string, call: Promise<T>): Promise<T> {
    let watch: NodeJS.Timeout | undefined;
    const lost = new Promise<never>((_, reject) => {
      watch = setInterval(() => {
        const now = this.cluster.master();
        if (now?.node_id === masterId) return;
        reject(
          new DomainError(
            'SUBMIT_OUTCOME_UNKNOWN',
            `the master ${masterId} went away during the submit (${now ? `the master is now ${now.node_id}` : 'no master right now'})`,
          ),
        );
      }, MASTER_WATCH_MS);
    });
    return Promise.race([call, lost]).finally(() => clearInterval(watch));
  }

  /**
   * Follows bundle `id` in this node's replicated view until it is settled: its view once the next
   * master completed it (with a warning saying what happened), a 503 once it was rolled back (nothing
   * of it runs: a retry is safe), or SUBMIT_OUTCOME_UNKNOWN after OUTCOME_WAIT_MS.
   */
  private async awaitOutcome(id: string, what: string): Promise<BundleView> {
    const deadline = Date.now() + OUTCOME_WAIT_MS;
    for (;;) {
      const rec = await this.record(id);
      if (rec?.state === 'failed')
        throw new DomainError(
          'NODE_UNREACHABLE',
          `${what}; ${id} was rolled back, nothing of it runs (${rec.failure_reason}); retry`,
        );
      if (rec?.state === 'submitted') {
        const [view] = await this.withStatus([rec]);
        return { ...view, warnings: [`${what}; every rank was queued, so ${id} went ahead`] };
      }
      if (Date.now() > deadline)
        throw new DomainError(
          'SUBMIT_OUTCOME_UNKNOWN',
          `${what}; whether ${id} goes ahead is not known yet: ` +
            (rec
              ? 'the next master completes it or rolls it back'
              : 'it is not in the cluster stream, so it most likely never started') +
            `; see \`trainyard cluster jobs ${id}\` before you retry`,
          [{ field: 'bundle_id', message: id }],
        );
      await sleep(50);
    }
  }

  private async submitAsMaster(req: BundleSubmitRequest, bundleId?: unknown): Promise<BundleView> {
    const fence = this.cluster.masterFence();
    if (fence === null) throw new DomainError('NOT_MASTER', `node ${this.cluster.nodeId} is not the master`);
    // The id comes from the node that took the submit (see submit); an order that carries one this
    // master knows already (a retried call) is not fanned out twice.
    const id = typeof bundleId === 'string' && BUNDLE_ID.test(bundleId) ? bundleId : newBundleId();
    if (this.fanningOut.has(id) || (await this.record(id)))
      throw new DomainError('CONFLICT', `bundle ${id} was submitted already`);
    const priority = req.priority ?? 0;
    const members = new Map(this.cluster.memberList().map((m) => [m.node_id, m]));
    const chosen = await this.participants(req, members, priority);

    const details: ErrorDetail[] = [];
    chosen.forEach(({ member }, i) => {
      if (!member.reachable)
        details.push({ field: `participants[${i}].node_id`, message: `${nodeLabel(member)} is unreachable` });
    });
    if (details.length)
      throw new DomainError('NODE_UNREACHABLE', details.map((d) => d.message).join('; '), details);
    const mismatches = versionMismatches(chosen.map((c) => c.member));
    if (mismatches.length && !req.allow_version_mismatch)
      throw new DomainError(
        'VERSION_MISMATCH',
        `the nodes' versions differ (pass allow_version_mismatch to go ahead): ${mismatches.map((m) => m.message).join('; ')}`,
        mismatches,
      );
    const ifnames = chosen.map(({ member, ifname }, i) => {
      const name = ifname ?? interfaceFor(member);
      // A typo'd interface would fail only later, in torchrun on that node.
      const names = [...new Set(member.interfaces.map((n) => n.name))];
      if (ifname && !names.includes(ifname))
        details.push({
          field: `participants[${i}].ifname`,
          message: `${nodeLabel(member)} has no interface ${ifname} (it has ${names.join(', ') || 'none'})`,
        });
      else if (!name)
        details.push({
          field: `participants[${i}].ifname`,
          message: `no interface on ${nodeLabel(member)} carries its address ${member.addresses[0] ?? '(none)'}; name one`,
        });
      return name ?? '';
    });
    if (details.length)
      throw new DomainError('NO_NETWORK_INTERFACE', details.map((d) => d.message).join('; '), details);

    const rdzvNodeId = req.rdzv_node_id ?? chosen[0].member.node_id;
    const rdzvNode = chosen.find((c) => c.member.node_id === rdzvNodeId)?.member;
    if (!rdzvNode)
      throw new DomainError('VALIDATION_FAILED', 'rdzv_node_id must be one of the participants', [
        { field: 'rdzv_node_id', message: 'not a participant' },
      ]);
    const rdzvEndpoint = endpoint(rdzvNode.addresses[0], req.rdzv_port ?? DEFAULT_RDZV_PORT);
    const rdzvId = randomUUID();
    const plans = chosen.map(({ member, gpus, nproc }, rank) => {
      const argv = torchrunArgv({
        torchrun: req.torchrun ?? 'torchrun',
        nnodes: chosen.length,
        nodeRank: rank,
        rdzvEndpoint,
        rdzvId,
        nprocPerNode: nproc ?? Math.max(gpus, 1),
        isHost: member.node_id === rdzvNodeId,
        script: req.script,
        args: req.args ?? [],
      });
      return { member, gpus, nproc: nproc ?? Math.max(gpus, 1), ifname: ifnames[rank], argv, rank };
    });

    const bundle: BundleRecord = {
      id,
      name: req.name ?? null,
      created_at: new Date().toISOString(),
      master_node_id: this.cluster.nodeId,
      lease_revision: fence,
      script: req.script,
      args: req.args ?? [],
      priority,
      rdzv_endpoint: rdzvEndpoint,
      rdzv_id: rdzvId,
      rdzv_node_id: rdzvNodeId,
      ranks: plans.map((p) => ({
        node_rank: p.rank,
        node_id: p.member.node_id,
        hostname: p.member.hostname,
        queue_id: null,
        enqueue_key: enqueueKey(id, p.rank),
        gpus: p.gpus,
        nproc_per_node: p.nproc,
        ifname: p.ifname,
        argv: p.argv,
      })),
    };
    const orders = new Map(
      plans.map((p) => [
        p.rank,
        {
          master_node_id: this.cluster.nodeId,
          fence,
          key: enqueueKey(id, p.rank),
          input: {
            job_type: 'command',
            name: `${req.name ?? id} rank ${p.rank}/${plans.length}`,
            priority,
            requested_gpus: p.gpus,
            job_params: { argv: p.argv },
            ...(req.cwd ? { cwd: req.cwd } : {}),
            env: { ...req.env, ...interfaceEnv(p.ifname), TRAINYARD_CLUSTER_JOB_ID: id },
          },
        } satisfies EnqueueRequest,
      ]),
    );

    this.fanningOut.add(id);
    // Intent first: the planned bundle is in the cluster stream before any rank goes out, so a
    // master that dies mid-fan-out leaves a `submitting` bundle the next master resolves, never
    // ranks that no node knows belong together.
    try {
      await this.write(new ClusterBundleSubmittingEvent({ bundle }));
    } catch (err) {
      this.fanningOut.delete(id);
      throw err;
    }
    let refusal: Error | null = null;
    try {
      await this.awaitReplicated(id, 'the bundle intent');

      // All or nothing: the ranks go out at once; if any node refuses, every rank (by its plan key,
      // so also one whose answer was lost) is cancelled and the first refusal in rank order answers.
      const pause = testSwitchMs('TRAINYARD_TEST_FANOUT_PAUSE', req.name);
      const outcomes = await Promise.allSettled(
        bundle.ranks.map(async (rank) => {
          if (pause > 0 && rank.node_rank > 0) await sleep(pause);
          const gpusField = req.participants ? `participants[${rank.node_rank}].gpus` : 'gpus_per_node';
          const job = await this.enqueueRank(rank, orders.get(rank.node_rank)!, gpusField);
          rank.queue_id = job.queue_id;
          await this.write(
            new ClusterBundleRankEnqueuedEvent({
              bundle_id: id,
              node_rank: rank.node_rank,
              node_id: rank.node_id,
              queue_id: job.queue_id,
            }),
          );
        }),
      );
      const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      const lapse = testSwitchMs('TRAINYARD_TEST_LEASE_LAPSE', req.name);
      if (lapse > 0) {
        this.cluster.testSkipLeaseRenewals(lapse);
        while (this.cluster.masterFence() !== null) await sleep(20);
      }
      // Fencing: a master deposed during the fan-out records nothing more; the new master resolves
      // the `submitting` bundle (see resolveStranded) and the node that took the submit answers
      // what it decided (see submit).
      if (this.cluster.masterFence() === null)
        throw new DomainError('SUBMIT_OUTCOME_UNKNOWN', 'the master lost its lease during the fan-out');
      if (refused) {
        refusal = refused.reason as Error;
        await this.rollBack(bundle, refusal.message);
      } else await this.write(new ClusterBundleSubmittedEvent({ bundle }));
      this.settledHere.add(id);
    } catch (err) {
      // Past the intent, a failure leaves the bundle `submitting` for a master's resolver to settle.
      if (err instanceof DomainError && err.code === 'SUBMIT_OUTCOME_UNKNOWN') throw err;
      throw new DomainError(
        'SUBMIT_OUTCOME_UNKNOWN',
        `the fan-out of ${id} stopped (${(err as Error).message})`,
      );
    } finally {
      this.fanningOut.delete(id);
    }
    if (refusal) throw refusal;
    const [view] = await this.withStatus([
      { bundle, state: 'submitted', failure_reason: null, cancelled_at: null },
    ]);
    return { ...view, warnings: mismatches.map((m) => m.message) };
  }

  /**
   * Sends one rank's order; a lost answer (NODE_UNREACHABLE) is asked once more with the same plan
   * key, which finds the job the first order queued instead of queueing a second. A refusal's
   * `requested_gpus` detail is about the field the user gave it as: `gpusField`.
   */
  private async enqueueRank(rank: BundleRank, order: EnqueueRequest, gpusField: string): Promise<JobDto> {
    // Each send is a new order with its own time: a node that reads it after ENQUEUE_ANSWER_MS refuses it.
    const send = () =>
      this.cluster.call<JobDto>(
        rank.node_id,
        'enqueue',
        { ...order, sent_at: new Date().toISOString(), answer_within_ms: ENQUEUE_ANSWER_MS },
        ENQUEUE_ANSWER_MS,
      );
    try {
      return await send().catch((err: unknown) => {
        if (err instanceof DomainError && err.code === 'NODE_UNREACHABLE') return send();
        throw err;
      });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      throw new DomainError(
        err.code,
        `${nodeLabel(rank)} refused rank ${rank.node_rank}: ${err.message}`,
        Array.isArray(err.details)
          ? err.details.map((d) => (d.field === 'requested_gpus' ? { ...d, field: gpusField } : d))
          : err.details,
      );
    }
  }

  /**
   * Kills every rank of `bundle` by its plan key (whether or not its answer came back) and journals
   * `failed`. Killed, not aborted with a grace period: a rank of a bundle that never formed has
   * nothing to save, and one waiting in the rendezvous for peers that never come may not heed SIGTERM
   * (it would hold its GPUs for the whole grace period, 10 s by default).
   */
  private async rollBack(bundle: BundleRecord, reason: string): Promise<void> {
    await this.cancelByKey(bundle.ranks, { rollback: true });
    await this.write(
      new ClusterBundleFailedEvent({ bundle_id: bundle.id, reason, resolved_by: this.cluster.nodeId }),
    );
  }

  /**
   * Resolves the bundles a master left `submitting` (it died or lost the lease mid-fan-out, or this
   * node restarted during its own fan-out): asks each rank's node for the job its plan key queued;
   * when every rank is queued (or past it) the bundle is completed (`submitted`, as if the fan-out
   * had ended), otherwise it is rolled back — every rank found is cancelled and the bundle is
   * `failed` with the reason. A rank whose node does not answer counts as missing (rolled back).
   * Runs on the master only, at start and every RESOLVE_EVERY_MS.
   */
  async resolveStranded(records?: readonly BundleFold[]): Promise<number> {
    if (this.cluster.masterFence() === null) return 0;
    let resolved = 0;
    const all = records ?? (await this.records());
    const submitting = new Set(all.filter((r) => r.state === 'submitting').map((r) => r.bundle.id));
    // Once this node's view shows a bundle it settled as settled, it needs no guard any more.
    for (const id of this.settledHere) if (!submitting.has(id)) this.settledHere.delete(id);
    for (const rec of all) {
      if (!submitting.has(rec.bundle.id) || this.fanningOut.has(rec.bundle.id)) continue;
      if (this.settledHere.has(rec.bundle.id)) continue;
      const { bundle } = rec;
      const found = await this.ranksByKey(bundle.ranks);
      const missing = bundle.ranks.filter((r) => {
        const f = found.get(r.enqueue_key);
        return !f?.queue_id || f.status === 'aborted';
      });
      if (this.cluster.masterFence() === null) return resolved;
      if (missing.length === 0) {
        const complete = {
          ...bundle,
          ranks: bundle.ranks.map((r) => ({ ...r, queue_id: found.get(r.enqueue_key)!.queue_id })),
        };
        await this.write(new ClusterBundleSubmittedEvent({ bundle: complete }));
        this.logger.log(`completed ${bundle.id}: every rank was enqueued before its master stopped`);
      } else {
        await this.rollBack(
          bundle,
          `master ${bundle.master_node_id} stopped during the fan-out; rank${missing.length === 1 ? '' : 's'} ` +
            `${missing.map((r) => r.node_rank).join(', ')} never enqueued; rolled back by ${this.cluster.nodeId}`,
        );
        this.logger.warn(
          `rolled back ${bundle.id}: ${missing.length} rank(s) missing after its master stopped`,
        );
      }
      resolved++;
    }
    return resolved;
  }

  /**
   * The ranks of a multi-node job start together and only make progress together (a rank that is
   * gone leaves the others waiting in the rendezvous or a collective, on their GPUs): when one has
   * failed or was stopped (a local cancel, a kill, `gpu kill`) while others are queued or running,
   * the master cancels the bundle, as Slurm ends a step whose task failed. Its status then reads
   * `failed` (or `cancelled`), not `running`. Returns the bundles stopped.
   */
  async stopBrokenBundles(records?: readonly BundleFold[]): Promise<number> {
    if (this.cluster.masterFence() === null) return 0;
    const live = (records ?? (await this.records())).filter(
      (r) => r.state === 'submitted' && !r.cancelled_at,
    );
    if (!live.length) return 0;
    let stopped = 0;
    for (const view of await this.withStatus(live)) {
      const gone = view.ranks.find((r) => r.status === 'failed' || r.status === 'cancelled');
      if (!gone || !view.ranks.some((r) => r.status === 'queued' || r.status === 'running')) continue;
      this.logger.warn(
        `cluster job ${view.id}: rank ${view.ranks.indexOf(gone)} (${gone.queue_id} on ${nodeLabel(gone)}) ` +
          `ended ${gone.status}; stopping its other ranks (the ranks of a multi-node job run together)`,
      );
      await this.cancel(view.id).catch((err: Error) =>
        this.logger.warn(`cluster job ${view.id}: stopping its other ranks failed: ${err.message}`),
      );
      stopped++;
    }
    return stopped;
  }

  /**
   * A cancel or a rollback that could not reach a rank (its node was down, frozen or cut off) is not
   * forgotten: the master asks about cancelled and rolled-back (`failed`) bundles each pass — by
   * plan key, so a rank whose enqueue answer never came back is found too — and cancels every rank
   * still queued or running: a node that comes back with its rank re-attached, or that queued a
   * rank after its master gave up on it, has it stopped within a second or two. A rank its node
   * says was never queued or has ended is not asked about again by this master. Nodes the member
   * table shows unreachable are not asked (their ranks count as unanswered). Returns the ranks
   * cancelled.
   */
  async enforceCancels(records?: readonly BundleFold[]): Promise<number> {
    if (this.cluster.masterFence() === null) return 0;
    const open = (records ?? (await this.records()))
      .filter((r) => r.cancelled_at || r.state === 'failed')
      // A rolled-back bundle's ranks are killed, as the rollback does; a cancelled one's aborted.
      .flatMap((r) => r.bundle.ranks.map((rank) => ({ ...rank, rollback: r.state === 'failed' })))
      .filter((r) => !this.settledRanks.has(r.enqueue_key));
    if (!open.length) return (this.cancelsPending = 0);
    const reachable = new Set(
      this.cluster
        .memberList()
        .filter((m) => m.reachable)
        .map((m) => m.node_id),
    );
    reachable.add(this.cluster.nodeId);
    const found = await this.ranksByKey(
      open.filter((r) => reachable.has(r.node_id)),
      { quiet: true },
    );
    const late: RankToCancel[] = [];
    let unanswered = 0;
    let stopping = 0;
    for (const rank of open) {
      const job = found.get(rank.enqueue_key);
      if (!job) unanswered++;
      // Being stopped already (its grace period runs): asking again would change nothing — unless
      // it is to be killed (a rollback's), which a second ask does at once.
      else if (job.status === 'terminating' && !rank.rollback) stopping++;
      else if (job.queue_id && ['queued', 'running'].includes(rankStatusOf(job.status)))
        late.push({ ...rank, queue_id: job.queue_id });
      // Never queued (a late order is refused: see EnqueueRequest.sent_at), or ended: nothing to stop.
      else this.settledRanks.add(rank.enqueue_key);
    }
    this.cancelsPending = late.length + unanswered + stopping;
    if (late.length) {
      this.logger.warn(
        `cancelling ${plural(late.length, 'rank')} of cancelled or rolled-back bundles that their nodes had not stopped: ${late.map((r) => `${r.queue_id} on ${nodeLabel(r)}`).join(', ')}`,
      );
      await this.cancelRanks(late);
    }
    return late.length;
  }

  /**
   * Each rank's job on its node, by plan key (a node that does not answer leaves its ranks out;
   * `quiet`: without a warning each time, for the master's every-second pass).
   */
  private async ranksByKey(
    ranks: readonly BundleRank[],
    { quiet = false } = {},
  ): Promise<Map<string, RankByKey>> {
    const byNode = new Map<string, string[]>();
    for (const r of ranks) byNode.set(r.node_id, [...(byNode.get(r.node_id) ?? []), r.enqueue_key]);
    const out = new Map<string, RankByKey>();
    await Promise.all(
      [...byNode].map(async ([node, keys]) => {
        try {
          const answer = await this.cluster.call<RankByKey[]>(
            node,
            'ranks_by_key',
            { keys },
            STATUS_TIMEOUT_MS,
          );
          for (const a of answer) out.set(a.key, a);
        } catch (err) {
          if (quiet) return;
          this.logger.warn(
            `no answer from ${node} about ranks ${keys.join(', ')}: ${(err as Error).message}`,
          );
        }
      }),
    );
    return out;
  }

  /** Cancels (`rollback`: kills) every rank found by its plan key (whatever its answer to the enqueue said); see cancelRanks. */
  private async cancelByKey(ranks: readonly BundleRank[], { rollback = false } = {}): Promise<string[]> {
    const found = await this.ranksByKey(ranks);
    return this.cancelRanks(
      ranks.flatMap((r) => {
        const queueId = found.get(r.enqueue_key)?.queue_id ?? r.queue_id;
        return queueId ? [{ ...r, queue_id: queueId, rollback }] : [];
      }),
    );
  }

  /** Journals one bundle entry and pushes it to the cluster stream at once. */
  private async write(event: object): Promise<void> {
    await this.journal.record(() => Promise.resolve({ result: null, events: [event as never] }));
    this.cluster.flushJournal();
  }

  /** Waits until bundle `id` is back from the cluster stream (so every node has, or will have, it). */
  private async awaitReplicated(id: string, what: string): Promise<void> {
    const deadline = Date.now() + REPLICATION_WAIT_MS;
    while (!(await this.record(id))) {
      if (Date.now() > deadline)
        throw new DomainError(
          'NODE_UNREACHABLE',
          `${what} did not reach the cluster stream in ${REPLICATION_WAIT_MS} ms`,
        );
      await sleep(5);
    }
  }

  /**
   * The participants in rank order: as given (checked against what each node has, before anything is
   * journaled), or picked by idle eligible GPUs.
   */
  private async participants(
    req: BundleSubmitRequest,
    members: Map<string, Member>,
    priority: number,
  ): Promise<Array<{ member: Member; gpus: number; nproc?: number; ifname?: string }>> {
    if (req.participants) {
      const seen = new Set<string>();
      const given = req.participants.map((p, i) => {
        const member = members.get(p.node_id);
        if (!member)
          throw new DomainError('NODE_NOT_FOUND', `no cluster member ${p.node_id}`, [
            { field: `participants[${i}].node_id`, message: `no cluster member ${p.node_id}` },
          ]);
        if (seen.has(p.node_id))
          throw new DomainError('VALIDATION_FAILED', `node ${p.node_id} is listed twice`, [
            { field: `participants[${i}].node_id`, message: 'listed twice' },
          ]);
        seen.add(p.node_id);
        return { member, gpus: p.gpus, nproc: p.nproc_per_node, ifname: p.ifname };
      });
      const capacities = await this.capacities(
        given.map((g) => g.member),
        priority,
      );
      checkParticipants(given, capacities);
      return given;
    }
    const want = req.nodes!;
    const perNode = req.gpus_per_node!;
    const capacities = await this.capacities([...members.values()], priority);
    // Nothing frees enough for this: a 400 naming the field, not a conflict worth waiting out.
    const never = neverPlaceable(capacities, want, perNode);
    if (never.length)
      throw new DomainError(
        'VALIDATION_FAILED',
        `Invalid request: ${never.map((d) => d.message).join('; ')} (${capacityList(capacities)})`,
        never,
      );
    const picked = pickNodes(capacities, want, perNode, this.cluster.nodeId);
    if (!picked) {
      const fit = capacities.filter((c) => c.idle >= perNode).length;
      // Busy GPUs free up; disabled or gated ones only when an operator opens them.
      const open = capacities.filter((c) => c.eligible >= perNode).length;
      const when =
        open >= want ? 'it can run once GPUs free up' : "it can run once the nodes' GPU policy lets it";
      throw new DomainError(
        'CONFLICT',
        `needs ${plural(want, 'node')} with ${plural(perNode, 'idle eligible GPU')} each; ` +
          `${fit === 0 ? 'no node has' : `only ${plural(fit, 'node')} ${fit === 1 ? 'has' : 'have'}`} that many now ` +
          `(${when}): ${capacityList(capacities)}. Nodes are picked by idle GPUs only: to preempt ` +
          'preemptible jobs of lower priority, name the nodes (participants)',
        [{ field: 'nodes', message: 'not enough nodes with idle eligible GPUs now' }],
      );
    }
    return picked.map((c) => ({ member: members.get(c.node_id)!, gpus: perNode }));
  }

  /**
   * What each member could hold a rank on, asked in parallel. One that is unreachable now may come
   * back, so it counts towards what could ever be placed (by the GPU count it last announced), never
   * towards what is idle now.
   */
  private capacities(members: readonly Member[], priority: number): Promise<NodeCapacity[]> {
    return Promise.all(
      members.map(async (m) => {
        const known = {
          node_id: m.node_id,
          hostname: m.hostname,
          usable: m.gpus.count,
          eligible: m.gpus.count,
          closed: null,
          idle: -1,
          blocker: null,
          held: null,
        };
        if (!m.reachable) return { ...known, reachable: false };
        try {
          return capacityOf(
            m,
            await this.cluster.call<NodeGpus>(m.node_id, 'gpus', {}, STATUS_TIMEOUT_MS),
            priority,
          );
        } catch {
          return { ...known, reachable: true };
        }
      }),
    );
  }

  /**
   * Cancels every rank on its node, in parallel: a queued one is removed, a running one aborted (a
   * rolled-back bundle's: killed, ending `bundle_rollback`). A node that does not answer is not fatal: the answer is a warning per rank
   * not reached (the master's enforceCancels stops it later); so is one that has no record of the
   * rank's job (the server now answering for that node id is not the one that queued it).
   */
  private async cancelRanks(ranks: readonly RankToCancel[]): Promise<string[]> {
    const warnings = await Promise.all(
      ranks.map((r) =>
        this.cluster
          // `kill` (its name on the wire): the rank of a rolled-back bundle.
          .call<{ outcome: string }>(r.node_id, 'cancel', { queue_id: r.queue_id, kill: r.rollback })
          .then(
            ({ outcome }) =>
              outcome === 'unknown'
                ? `rank ${r.node_rank} (${r.queue_id} on ${nodeLabel(r)}) was not cancelled: that node has no record of it ` +
                  '(the server answering for its node id is not the one that queued it); if it still runs, stop it where it runs'
                : null,
            (err: Error) => {
              this.logger.warn(`cancel of ${r.queue_id} on ${nodeLabel(r)} failed: ${err.message}`);
              return (
                `rank ${r.node_rank} (${r.queue_id} on ${nodeLabel(r)}) was not cancelled: ${err.message}; ` +
                'it is cancelled once its node answers again'
              );
            },
          ),
      ),
    );
    return warnings.filter((w): w is string => w !== null);
  }

  /** Every bundle as its entries so far leave it, in the order each was first journaled. */
  private async records(): Promise<BundleFold[]> {
    await this.catchUp();
    return this.book.all();
  }

  private async record(id: string): Promise<BundleFold | null> {
    await this.catchUp();
    return this.book.get(id);
  }

  /**
   * Applies the bundle entries replicated since the last read, once each, in stream order (the
   * view is written in that order): a read costs what arrived since, not every bundle ever run.
   */
  private async catchUp(): Promise<void> {
    const rows = await this.cluster.bundleEntries(BUNDLE_TYPES, this.bookSeq);
    // No await below: a concurrent catch-up that read the same rows skips what this one applied.
    for (const row of rows) {
      if (row.stream_seq <= this.bookSeq) continue;
      this.bookSeq = row.stream_seq;
      const entry = bundleEntryOf(row.type, JSON.parse(row.payload) as Record<string, never>);
      if (entry) this.book.apply(entry);
    }
  }

  /**
   * One page of the bundles, newest first (by `created_at`, then id), with live per-rank status for
   * that page's ranks only (one status call per node). `cursor`: a `next_cursor` from the page
   * before; a malformed one is a 400 on `cursor`.
   */
  async list(
    limit: number,
    cursor?: string,
  ): Promise<{ items: BundleView[]; total: number; next_cursor: string | null }> {
    const all = await this.records();
    all.sort((a, b) => newestFirst(a.bundle, b.bundle));
    const after = cursor === undefined ? null : bundleCursorKey(cursor);
    const from = after ? all.findIndex((r) => newestFirst(after, r.bundle) < 0) : 0;
    const page = from < 0 ? [] : all.slice(from, from + limit);
    const last = page.at(-1);
    const more = from >= 0 && from + limit < all.length;
    return {
      items: await this.withStatus(page),
      total: all.length,
      next_cursor: more && last ? bundleCursor(last.bundle) : null,
    };
  }

  async get(id: string): Promise<BundleView> {
    const rec = await this.record(id);
    if (!rec) throw new DomainError('NOT_FOUND', `no cluster job ${id}`);
    return (await this.withStatus([rec]))[0];
  }

  /**
   * Fans the cancel out to every rank (any node may; cancels are idempotent) and journals it. A
   * bundle with nothing left to stop is refused with JOB_NOT_RUNNING (409): one rolled back, or not
   * cancelled yet and every rank ended — a cancel then would record a cancel time for a bundle no
   * cancel stopped. A rolled-back bundle whose rank still runs (its node missed the rollback) has that
   * rank killed, and is not recorded as cancelled. A server refused its node id answers 409: its
   * journal entry would reach no other node.
   */
  async cancel(id: string): Promise<BundleView> {
    // Its cancel entry would never leave this server (it publishes nothing while refused).
    const refused = this.cluster.refusedProblem();
    if (refused) throw new DomainError('CONFLICT', `cannot cancel cluster job ${id} from here: ${refused}`);
    const rec = await this.record(id);
    if (!rec) throw new DomainError('NOT_FOUND', `no cluster job ${id}`);
    const [before] = await this.withStatus([rec]);
    const stoppable = before.ranks.some((r) => ['queued', 'running', 'unknown'].includes(r.status));
    if (!stoppable && !rec.cancelled_at)
      throw new DomainError(
        'JOB_NOT_RUNNING',
        rec.state === 'failed'
          ? `cluster job ${id} was rolled back (${rec.failure_reason}): nothing of it runs, nothing to cancel`
          : `cluster job ${id} already ended (${before.status}): nothing to cancel`,
      );
    // A rolled-back bundle's rank still running is the rollback's to stop: it ends as the rollback's.
    const warnings = await this.cancelByKey(rec.bundle.ranks, { rollback: rec.state === 'failed' });
    if (!rec.cancelled_at && rec.state !== 'failed') {
      const cancelledAt = new Date().toISOString();
      await this.write(new ClusterBundleCancelledEvent({ bundle_id: id, cancelled_at: cancelledAt }));
      rec.cancelled_at = cancelledAt;
    }
    const [view] = await this.withStatus([rec]);
    return { ...view, warnings };
  }

  /**
   * The bundles with each rank's live status: by its queue id from its node, or — a rank whose
   * enqueue answer is not journaled (rolled back, or still `submitting`) — by its plan key, so a rank
   * its node never queued reads `not_queued`, not `cancelled`, and one queued whose answer was lost
   * shows its job.
   */
  private async withStatus(recs: readonly BundleFold[]): Promise<BundleView[]> {
    const byNode = new Map<string, string[]>();
    const unanswered: BundleRank[] = [];
    for (const { bundle } of recs)
      for (const r of bundle.ranks)
        if (!r.queue_id) unanswered.push(r);
        else if (!this.endedRanks.has(`${r.node_id}/${r.queue_id}`))
          byNode.set(r.node_id, [...(byNode.get(r.node_id) ?? []), r.queue_id]);
    const live = new Map<string, RankStatus>();
    const [byKey] = await Promise.all([
      this.ranksByKey(unanswered, { quiet: true }),
      ...[...byNode].map(async ([node, ids]) => {
        try {
          const answer = await this.cluster.call<RankJobState[]>(
            node,
            'status',
            { queue_ids: ids },
            STATUS_TIMEOUT_MS,
          );
          for (const s of answer) {
            const status = s.unknown ? 'unknown' : rankStatusOf(s.status);
            if (RANK_ENDED.has(status)) this.endedRanks.set(`${node}/${s.queue_id}`, status);
            else live.set(`${node}/${s.queue_id}`, status);
          }
        } catch {
          // The node does not answer: a rank its replicated journal says ended has ended (read from
          // there, not from this process's memory, so a server started since says so too); the
          // others stay unknown.
          const ends = await this.cluster.jobEnds(node, ids).catch(() => new Map<string, JobStatus | null>());
          for (const [id, status] of ends) this.endedRanks.set(`${node}/${id}`, rankStatusOf(status));
        }
      }),
    ]);
    const rankView = (r: BundleRank): BundleRank & { status: RankStatus } => {
      if (r.queue_id) {
        const key = `${r.node_id}/${r.queue_id}`;
        return { ...r, status: this.endedRanks.get(key) ?? live.get(key) ?? 'unknown' };
      }
      const found = byKey.get(r.enqueue_key);
      if (!found) return { ...r, status: 'unknown' };
      if (!found.queue_id) return { ...r, status: 'not_queued' };
      return { ...r, queue_id: found.queue_id, status: rankStatusOf(found.status) };
    };
    return recs.map(({ bundle, state, failure_reason, cancelled_at }) => {
      const ranks = bundle.ranks.map(rankView);
      // A rolled-back bundle is failed whatever its (cancelled) ranks say; one still being fanned out
      // is submitting.
      const status: BundleStatus =
        state === 'failed'
          ? 'failed'
          : state === 'submitting'
            ? 'submitting'
            : rollUp(ranks.map((r) => r.status));
      return { ...bundle, ranks, state, failure_reason, cancelled_at, status, warnings: [] };
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const newBundleId = () => `cj_${Date.now()}_${randomBytes(4).toString('hex')}`;
