import { Injectable, Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { DomainError, type ErrorDetail } from '@trainyard/core';
import type { GpuListDto } from '@trainyard/gpus';
import type { JobDto } from '@trainyard/jobs';
import { Journal } from '@trainyard/journal';
import {
  DEFAULT_RDZV_PORT,
  endpoint,
  idleEligibleGpus,
  interfaceEnv,
  interfaceFor,
  pickNodes,
  rankStatusOf,
  rollUp,
  torchrunArgv,
  versionMismatches,
  type BundleRank,
  type BundleRecord,
  type BundleStatus,
  type RankStatus,
} from './bundles';
import { ClusterBundleCancelledEvent, ClusterBundleSubmittedEvent } from './cluster.events';
import { ClusterService } from './cluster.service';
import type { EnqueueRequest, RankJobState } from './node-endpoint';
import type { Member } from './membership';
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
  cancelled_at: string | null;
  ranks: Array<BundleRank & { status: RankStatus }>;
  /** Version differences the submit was allowed to go ahead with. */
  warnings: string[];
}

const SUBMITTED = journalEntryTypeOf(ClusterBundleSubmittedEvent);
const CANCELLED = journalEntryTypeOf(ClusterBundleCancelledEvent);
/** How long a submit waits for its own bundle to come back through the stream (read-your-writes). */
const REPLICATION_WAIT_MS = 3000;
/** A rank status fan-out waits this long per node; a silent node's ranks read `unknown`. */
const STATUS_TIMEOUT_MS = 2000;
/** The master's whole fan-out, forwarded from another node. */
const SUBMIT_FORWARD_TIMEOUT_MS = 60_000;

/**
 * Multi-node training bundles. A submit on any node goes to the master, which alone fans the ranks
 * out (fenced by its lease revision), all or nothing, and journals the bundle; the journal entry
 * reaches every node through the cluster stream, so every node lists the same bundles and a restart
 * of any node loses none. Status is rolled up live from each rank's node.
 */
@Injectable()
export class ClusterJobs {
  private readonly logger = new Logger('ClusterJobs');

  constructor(
    private readonly cluster: ClusterService,
    private readonly journal: Journal,
  ) {
    cluster.handle('bundle_submit', (p) => this.submitAsMaster(p as unknown as BundleSubmitRequest));
  }

  /** Submits through the master (this node when it is); answers the bundle with its rolled-up status. */
  async submit(req: BundleSubmitRequest): Promise<BundleView> {
    if (!this.cluster.enabled)
      throw new DomainError(
        'CLUSTER_DISABLED',
        'multi-node submit needs cluster mode (--cluster NAME --nats URL)',
      );
    const master = this.cluster.master();
    if (!master)
      throw new DomainError('NODE_UNREACHABLE', 'no master right now (a failover is under way); retry');
    const view = await this.cluster.call<BundleView>(
      master.node_id,
      'bundle_submit',
      req,
      SUBMIT_FORWARD_TIMEOUT_MS,
    );
    // Read-your-writes: the bundle is listed here once its entry came back through the stream.
    const deadline = Date.now() + REPLICATION_WAIT_MS;
    while (Date.now() < deadline && !(await this.record(view.id))) await sleep(20);
    return view;
  }

  private async submitAsMaster(req: BundleSubmitRequest): Promise<BundleView> {
    const fence = this.cluster.masterFence();
    if (fence === null) throw new DomainError('NOT_MASTER', `node ${this.cluster.nodeId} is not the master`);
    const priority = req.priority ?? 0;
    const members = new Map(this.cluster.memberList().map((m) => [m.node_id, m]));
    const chosen = await this.participants(req, members, priority);

    const details: ErrorDetail[] = [];
    chosen.forEach(({ member }, i) => {
      if (!member.reachable)
        details.push({ field: `participants[${i}].node_id`, message: `${member.hostname} is unreachable` });
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
      if (!name)
        details.push({
          field: `participants[${i}].ifname`,
          message: `no interface on ${member.hostname} carries its address ${member.addresses[0] ?? '(none)'}; name one`,
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
    const id = `cj_${Date.now()}_${randomBytes(4).toString('hex')}`;
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

    // All or nothing: every rank goes out at once; if any node refuses, the ranks that were enqueued
    // are cancelled and the first refusal (in rank order) is the answer.
    const outcomes = await Promise.allSettled(
      plans.map(async (p): Promise<BundleRank> => {
        const order: EnqueueRequest = {
          master_node_id: this.cluster.nodeId,
          fence,
          input: {
            job_type: 'command',
            name: `${req.name ?? id} rank ${p.rank}/${plans.length}`,
            priority,
            requested_gpus: p.gpus,
            job_params: { argv: p.argv },
            ...(req.cwd ? { cwd: req.cwd } : {}),
            env: { ...req.env, ...interfaceEnv(p.ifname), TRAINYARD_CLUSTER_JOB_ID: id },
          },
        };
        try {
          const job = await this.cluster.call<JobDto>(p.member.node_id, 'enqueue', order);
          return {
            node_rank: p.rank,
            node_id: p.member.node_id,
            hostname: p.member.hostname,
            queue_id: job.queue_id,
            gpus: p.gpus,
            nproc_per_node: p.nproc,
            ifname: p.ifname,
            argv: p.argv,
          };
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          throw new DomainError(
            err.code,
            `${p.member.hostname} (${p.member.node_id}) refused rank ${p.rank}: ${err.message}`,
            err.details,
          );
        }
      }),
    );
    const ranks = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    // Fencing: a master deposed during the fan-out must not record the bundle.
    const deposed =
      this.cluster.masterFence() === null
        ? new DomainError('NOT_MASTER', 'lost the master lease during the submit')
        : null;
    if (refused || deposed) {
      // NB: a node that enqueued but whose answer was lost (timeout) keeps its rank; its queue id is
      // unknown here. The rank's TRAINYARD_CLUSTER_JOB_ID names the bundle that was never recorded.
      await this.cancelRanks(ranks);
      throw refused ? refused.reason : deposed;
    }

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
      ranks,
    };
    await this.journal.record(() =>
      Promise.resolve({ result: null, events: [new ClusterBundleSubmittedEvent({ bundle })] }),
    );
    this.cluster.flushJournal();
    const [view] = await this.withStatus([{ bundle, cancelled_at: null }]);
    return { ...view, warnings: mismatches.map((m) => m.message) };
  }

  /** The participants in rank order: as given, or picked by idle eligible GPUs. */
  private async participants(
    req: BundleSubmitRequest,
    members: Map<string, Member>,
    priority: number,
  ): Promise<Array<{ member: Member; gpus: number; nproc?: number; ifname?: string }>> {
    if (req.participants) {
      const seen = new Set<string>();
      return req.participants.map((p, i) => {
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
    }
    const want = req.nodes!;
    const perNode = req.gpus_per_node!;
    const reachable = [...members.values()].filter((m) => m.reachable);
    const candidates = await Promise.all(
      reachable.map(async (m) => {
        try {
          const list = await this.cluster.call<GpuListDto>(m.node_id, 'gpus', {}, STATUS_TIMEOUT_MS);
          return {
            node_id: m.node_id,
            hostname: m.hostname,
            idle: idleEligibleGpus(list.gpus, priority),
            member: m,
          };
        } catch {
          return { node_id: m.node_id, hostname: m.hostname, idle: -1, member: m };
        }
      }),
    );
    const picked = pickNodes(candidates, want, perNode, this.cluster.nodeId);
    if (!picked)
      throw new DomainError(
        'CONFLICT',
        `needs ${want} nodes with ${perNode} idle eligible GPU${perNode === 1 ? '' : 's'} each; ` +
          `${candidates.filter((c) => c.idle >= perNode).length} have: ` +
          candidates.map((c) => `${c.hostname} ${c.idle < 0 ? 'no answer' : `${c.idle} idle`}`).join(', '),
        [{ field: 'nodes', message: 'not enough nodes with idle eligible GPUs' }],
      );
    return picked.map((c) => ({ member: c.member, gpus: perNode }));
  }

  /** Cancels every rank on its node, in parallel; a node that does not answer is logged, not fatal. */
  private async cancelRanks(ranks: readonly BundleRank[]): Promise<void> {
    await Promise.all(
      ranks.map((r) =>
        this.cluster
          .call(r.node_id, 'cancel', { queue_id: r.queue_id })
          .catch((err: Error) =>
            this.logger.warn(`cancel of ${r.queue_id} on ${r.hostname} failed: ${err.message}`),
          ),
      ),
    );
  }

  private async records(): Promise<Array<{ bundle: BundleRecord; cancelled_at: string | null }>> {
    const byId = new Map<string, { bundle: BundleRecord; cancelled_at: string | null }>();
    for (const e of await this.cluster.bundleEntries([SUBMITTED, CANCELLED])) {
      const payload = JSON.parse(e.payload) as Record<string, unknown>;
      if (e.type === SUBMITTED) {
        const bundle = payload.bundle as BundleRecord;
        byId.set(bundle.id, { bundle, cancelled_at: byId.get(bundle.id)?.cancelled_at ?? null });
      } else {
        const known = byId.get(payload.bundle_id as string);
        if (known) known.cancelled_at ??= payload.cancelled_at as string;
      }
    }
    return [...byId.values()];
  }

  private async record(id: string) {
    return (await this.records()).find((r) => r.bundle.id === id) ?? null;
  }

  /** Every bundle, newest first, with live per-rank status (one status call per node). */
  async list(): Promise<BundleView[]> {
    const all = await this.records();
    all.sort((a, b) => b.bundle.created_at.localeCompare(a.bundle.created_at));
    return this.withStatus(all);
  }

  async get(id: string): Promise<BundleView> {
    const rec = await this.record(id);
    if (!rec) throw new DomainError('NOT_FOUND', `no cluster job ${id}`);
    return (await this.withStatus([rec]))[0];
  }

  /** Fans the cancel out to every rank (any node may; cancels are idempotent) and journals it. */
  async cancel(id: string): Promise<BundleView> {
    const rec = await this.record(id);
    if (!rec) throw new DomainError('NOT_FOUND', `no cluster job ${id}`);
    await this.cancelRanks(rec.bundle.ranks);
    if (!rec.cancelled_at) {
      const cancelledAt = new Date().toISOString();
      await this.journal.record(() =>
        Promise.resolve({
          result: null,
          events: [new ClusterBundleCancelledEvent({ bundle_id: id, cancelled_at: cancelledAt })],
        }),
      );
      this.cluster.flushJournal();
      rec.cancelled_at = cancelledAt;
    }
    return (await this.withStatus([rec]))[0];
  }

  private async withStatus(
    recs: ReadonlyArray<{ bundle: BundleRecord; cancelled_at: string | null }>,
  ): Promise<BundleView[]> {
    const byNode = new Map<string, string[]>();
    for (const { bundle } of recs)
      for (const r of bundle.ranks) byNode.set(r.node_id, [...(byNode.get(r.node_id) ?? []), r.queue_id]);
    const states = new Map<string, RankStatus>();
    await Promise.all(
      [...byNode].map(async ([node, ids]) => {
        try {
          const answer = await this.cluster.call<RankJobState[]>(
            node,
            'status',
            { queue_ids: ids },
            STATUS_TIMEOUT_MS,
          );
          for (const s of answer) states.set(`${node}/${s.queue_id}`, rankStatusOf(s.status));
        } catch {
          /* the node's ranks stay unknown */
        }
      }),
    );
    return recs.map(({ bundle, cancelled_at }) => {
      const ranks = bundle.ranks.map((r) => ({
        ...r,
        status: states.get(`${r.node_id}/${r.queue_id}`) ?? 'unknown',
      }));
      return { ...bundle, ranks, cancelled_at, status: rollUp(ranks.map((r) => r.status)), warnings: [] };
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
