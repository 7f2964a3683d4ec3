import { DomainError, plural, type ErrorDetail } from '@trainyard/core';
import type { HeldGpus, JobStatus } from '@trainyard/jobs';
import type { MemberRecord } from './membership';
import type { NodeVersions } from './node-probe';

/** Default c10d rendezvous port on the rendezvous host (torchrun's own default). */
export const DEFAULT_RDZV_PORT = 29400;

/** One rank of a multi-node training bundle: the per-node job that runs torchrun. */
export interface BundleRank {
  node_rank: number;
  node_id: string;
  hostname: string;
  /**
   * The rank's queue id on its node; null until its node has enqueued it (a bundle still
   * `submitting`, or one rolled back before that rank went out).
   */
  queue_id: string | null;
  /**
   * The rank's planned id, `<bundle id>/<node rank>`, sent as the enqueue's idempotency key: an
   * enqueue repeated with it (a retry, or a master resuming the fan-out) finds the same job instead of
   * queueing a second one, and a rollback finds the job by it even when the enqueue's answer was lost.
   */
  enqueue_key: string;
  /** GPUs reserved on that node. */
  gpus: number;
  nproc_per_node: number;
  /** NCCL_SOCKET_IFNAME / GLOO_SOCKET_IFNAME / TP_SOCKET_IFNAME on that node. */
  ifname: string;
  argv: string[];
}

/**
 * A multi-node training job: what the master fans out, as journaled — first as an intent
 * (`cluster.bundle_submitting.v1`, ranks planned), then whole (`cluster.bundle_submitted.v1`).
 */
export interface BundleRecord {
  id: string;
  name: string | null;
  created_at: string;
  /** The master that coordinated the submit, and its lease revision then (the fencing token). */
  master_node_id: string;
  lease_revision: number;
  script: string;
  args: string[];
  priority: number;
  rdzv_endpoint: string;
  rdzv_id: string;
  rdzv_node_id: string;
  ranks: BundleRank[];
}

/**
 * A rank's state as the bundle sees it; `unknown` = its node did not answer; `not_queued` = its node
 * has no job for it: it refused the rank, or the order never went out (a rolled-back bundle), or has
 * not yet (one still `submitting`).
 */
export type RankStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'not_queued' | 'unknown';
/** `submitting` = the fan-out is under way (or its master died and the next one has not resolved it). */
export type BundleStatus = Exclude<RankStatus, 'not_queued'> | 'submitting';

/**
 * Where a bundle's submit stands: `submitting` (intent journaled, ranks going out), `submitted` (every
 * rank enqueued), `failed` (rolled back: a node refused, or the master died mid-fan-out and the next
 * master found a rank missing; every enqueued rank was cancelled).
 */
export type BundleState = 'submitting' | 'submitted' | 'failed';

/** The plan key of rank `rank` of bundle `bundleId` (the enqueue's idempotency key). */
export function enqueueKey(bundleId: string, rank: number): string {
  return `${bundleId}/${rank}`;
}

/** A bundle as the journal entries about it leave it. */
export interface BundleFold {
  bundle: BundleRecord;
  state: BundleState;
  failure_reason: string | null;
  cancelled_at: string | null;
}

/** The journal entries about bundles, by kind (their payloads). */
export type BundleEntry =
  | { kind: 'submitting'; bundle: BundleRecord }
  | { kind: 'rank'; bundle_id: string; node_rank: number; queue_id: string }
  | { kind: 'submitted'; bundle: BundleRecord }
  | { kind: 'failed'; bundle_id: string; reason: string }
  | { kind: 'cancelled'; bundle_id: string; cancelled_at: string };

/**
 * The bundles as the journal entries about them leave them: entries are applied once each, in
 * stream order, as they arrive, so reading every bundle re-reads no history. The first resolution
 * wins: once `submitted` or `failed`, a later resolution of the same bundle (a second master
 * resolving it too) changes nothing. A `submitted` entry without an intent (written before intents
 * existed) is a whole bundle.
 */
export class BundleBook {
  private readonly byId = new Map<string, BundleFold>();

  apply(e: BundleEntry): void {
    if (e.kind === 'submitting') {
      if (!this.byId.has(e.bundle.id))
        this.byId.set(e.bundle.id, {
          bundle: e.bundle,
          state: 'submitting',
          failure_reason: null,
          cancelled_at: null,
        });
      return;
    }
    if (e.kind === 'submitted') {
      const known = this.byId.get(e.bundle.id);
      if (!known)
        this.byId.set(e.bundle.id, {
          bundle: e.bundle,
          state: 'submitted',
          failure_reason: null,
          cancelled_at: null,
        });
      else if (known.state === 'submitting') Object.assign(known, { bundle: e.bundle, state: 'submitted' });
      return;
    }
    const known = this.byId.get(e.bundle_id);
    if (!known) return;
    if (e.kind === 'rank') {
      const rank = known.bundle.ranks.find((r) => r.node_rank === e.node_rank);
      if (rank && known.state === 'submitting') rank.queue_id = e.queue_id;
    } else if (e.kind === 'failed') {
      if (known.state === 'submitting') Object.assign(known, { state: 'failed', failure_reason: e.reason });
    } else known.cancelled_at ??= e.cancelled_at;
  }

  /** Every bundle, in the order its first entry arrived; each a copy of its state now. */
  all(): BundleFold[] {
    return [...this.byId.values()].map((f) => ({ ...f }));
  }

  /** One bundle's state now (a copy), or null when no entry about it has arrived. */
  get(id: string): BundleFold | null {
    const f = this.byId.get(id);
    return f ? { ...f } : null;
  }
}

/** A job's status as a rank status; null = no such job (removed from the queue by a cancel). */
export function rankStatusOf(status: JobStatus | null): RankStatus {
  switch (status) {
    case null:
    case 'aborted':
      return 'cancelled';
    case 'queued':
      return 'queued';
    case 'starting':
    case 'running':
    case 'terminating':
      return 'running';
    case 'done':
      return 'done';
    case 'failed':
      return 'failed';
  }
}

/**
 * The bundle's status: the first of failed > running > cancelled > queued present among its ranks;
 * `done` only when every rank is done (a `[done, running]` bundle is running, not done); `unknown`
 * when the rest are done but some rank's node did not answer. (A `not_queued` rank is only in a
 * bundle not `submitted`, whose status is its state; here it would count as unknown.)
 */
export function rollUp(ranks: readonly RankStatus[]): BundleStatus {
  for (const s of ['failed', 'running', 'cancelled', 'queued'] as const) if (ranks.includes(s)) return s;
  if (ranks.length > 0 && ranks.every((s) => s === 'done')) return 'done';
  return 'unknown';
}

/**
 * The interface that carries the address peers dial for `member` (its first advertised address),
 * from its own interface table; null when none does (NCCL would then hang in connectFullMesh).
 */
export function interfaceFor(member: Pick<MemberRecord, 'addresses' | 'interfaces'>): string | null {
  const address = member.addresses[0];
  return member.interfaces.find((i) => i.address === address)?.name ?? null;
}

/**
 * A node as messages name it: `gpu-box-1 (dd834b60)` — its hostname and the first 8 hex digits of its
 * id (as the console shows them): hosts cloned from one image often share a hostname.
 */
export function nodeLabel(node: { hostname: string; node_id: string }): string {
  return `${node.hostname} (${node.node_id.slice(0, 8)})`;
}

/** The versions a training run's nodes must share. */
export const HEADLINE_VERSIONS = ['trainyard', 'torch', 'cuda', 'nccl'] as const;

/** One sentence per headline version that differs between the members, e.g. `torch: 2.5.0 on a; none on b`. */
export function versionMismatches(
  members: ReadonlyArray<{ hostname: string; node_id: string; versions: NodeVersions }>,
): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  for (const key of HEADLINE_VERSIONS) {
    const by = new Map<string, string[]>();
    for (const m of members) {
      const v = m.versions[key] ?? 'none';
      by.set(v, [...(by.get(v) ?? []), nodeLabel(m)]);
    }
    if (by.size > 1)
      out.push({
        field: `versions.${key}`,
        message: `${key} differs: ${[...by].map(([v, hosts]) => `${v} on ${hosts.join(', ')}`).join('; ')}`,
      });
  }
  return out;
}

/** `host:port`, bracketing an IPv6 host. */
export function endpoint(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** torchrun's command line for one rank in c10d rendezvous mode (never `--standalone`). */
export function torchrunArgv(o: {
  torchrun: string;
  nnodes: number;
  nodeRank: number;
  rdzvEndpoint: string;
  rdzvId: string;
  nprocPerNode: number;
  isHost: boolean;
  script: string;
  args: readonly string[];
}): string[] {
  return [
    o.torchrun,
    '--nnodes',
    String(o.nnodes),
    '--node-rank',
    String(o.nodeRank),
    '--rdzv-backend',
    'c10d',
    '--rdzv-endpoint',
    o.rdzvEndpoint,
    '--rdzv-id',
    o.rdzvId,
    '--nproc-per-node',
    String(o.nprocPerNode),
    // torch decides "am I the rendezvous host?" from gethostname(), which Debian resolves to
    // 127.0.1.1: say it outright so exactly one node binds the TCPStore.
    '--rdzv-conf',
    `is_host=${o.isHost ? 'true' : 'false'}`,
    o.script,
    ...o.args,
  ];
}

/** The socket interface pins for one rank: NCCL (CUDA collectives), Gloo (CPU), TensorPipe (RPC) alike. */
export function interfaceEnv(ifname: string): Record<string, string> {
  return { NCCL_SOCKET_IFNAME: ifname, GLOO_SOCKET_IFNAME: ifname, TP_SOCKET_IFNAME: ifname };
}

/** A GPU as a node's `gpus` answer lists it, with what placement counts. */
interface PlacedGpu {
  index: number;
  excluded: boolean;
  disabled: boolean;
  reserved_by: string | null;
  min_priority: number | null;
  mig_enabled: boolean;
}

/**
 * Idle GPUs a rank of `priority` may be placed on: not excluded, not in MIG mode (a rank takes whole
 * GPUs; one in MIG mode only lends its MIG devices to jobs with a gpu_profile), not disabled, not
 * reserved, gate passed, and not held by the node's scheduler for a waiting job the rank would be
 * placed after (see heldAgainst).
 */
export function idleEligibleGpus(
  gpus: readonly PlacedGpu[],
  priority: number,
  held: HeldGpus | null = null,
): number {
  const kept = new Set(heldAgainst(held, priority)?.gpu_indices);
  return gpus.filter(
    (g) =>
      !g.excluded &&
      !g.mig_enabled &&
      !g.disabled &&
      g.reserved_by === null &&
      (g.min_priority === null || g.min_priority <= priority) &&
      !kept.has(g.index),
  ).length;
}

/**
 * The node's held GPUs when they are kept from a rank of `priority`: the waiting job they are held
 * for comes first when its (aged) priority is at least the rank's, as it would on the node's own
 * queue (a rank with a time limit that backfill would let use them is still not counted: the
 * master cannot know the node's estimate). Null when they are not, or none are held.
 */
export function heldAgainst(held: HeldGpus | null | undefined, priority: number): HeldGpus | null {
  return held && held.priority >= priority ? held : null;
}

/**
 * A node's capacity from its `gpus` answer: GPUs as its own submit counts them, none idle while
 * nothing can start there (`start_blocker`: its scheduler is paused, ...), and none of those its
 * scheduler holds for a waiting job that comes first (`held`; both absent from older nodes).
 */
export function capacityOf(
  node: { node_id: string; hostname: string },
  answer: { gpus: readonly PlacedGpu[]; start_blocker?: string | null; held?: HeldGpus | null },
  priority: number,
): NodeCapacity {
  const blocker = answer.start_blocker ?? null;
  const held = blocker ? null : heldAgainst(answer.held, priority);
  const usable = answer.gpus.filter((g) => !g.excluded && !g.mig_enabled);
  const closed = usable.filter((g) => g.disabled || (g.min_priority !== null && g.min_priority > priority));
  return {
    node_id: node.node_id,
    hostname: node.hostname,
    usable: usable.length,
    eligible: usable.length - closed.length,
    closed: closed.length ? closedText(closed) : null,
    idle: blocker ? 0 : idleEligibleGpus(answer.gpus, priority, held),
    reachable: true,
    blocker,
    held,
  };
}

/** E.g. `GPU 0 disabled, GPU 1 requires priority ≥ 3`: why a node's GPUs are closed to a rank. */
function closedText(closed: readonly PlacedGpu[]): string {
  return closed
    .map((g) => `GPU ${g.index} ${g.disabled ? 'disabled' : `requires priority ≥ ${g.min_priority}`}`)
    .join(', ');
}

/**
 * `nodes: N` with `gpus_per_node` each: the nodes with at least that many idle eligible GPUs, the
 * coordinating node first (it becomes the rendezvous host), then the most idle, then by hostname.
 * Null when fewer than N qualify.
 */
export function pickNodes<T extends { node_id: string; hostname: string; idle: number }>(
  candidates: readonly T[],
  nodes: number,
  gpusPerNode: number,
  preferNodeId: string,
): T[] | null {
  const fit = candidates
    .filter((c) => c.idle >= gpusPerNode)
    .sort(
      (a, b) =>
        Number(b.node_id === preferNodeId) - Number(a.node_id === preferNodeId) ||
        b.idle - a.idle ||
        a.hostname.localeCompare(b.hostname) ||
        a.node_id.localeCompare(b.node_id),
    );
  return fit.length >= nodes ? fit.slice(0, nodes) : null;
}

/** The two ways a multi-node submit says where it runs, as its 400s word them. */
const TWO_WAYS =
  'participants (each node in rank order with its gpus) or nodes + gpus_per_node (Trainyard picks that many nodes)';
/** `participants: []`'s 400 (the DTO's rule). */
export const EMPTY_PARTICIPANTS = `participants is empty: list at least one node, or give nodes + gpus_per_node instead`;

/**
 * What is wrong with where a submit says to run, one detail per field to fix; empty when it gives
 * exactly one of the two ways: participants, or nodes + gpus_per_node (the DTO checks each value).
 */
export function submitTargetProblems(req: {
  participants?: unknown[];
  nodes?: number;
  gpus_per_node?: number;
}): ErrorDetail[] {
  const given = (['nodes', 'gpus_per_node'] as const).filter((f) => req[f] !== undefined);
  if (req.participants !== undefined)
    return given.map((field) => ({
      field,
      message: `${field} cannot go with participants: give ${TWO_WAYS}, not both`,
    }));
  if (given.length === 2) return [];
  if (given[0] === 'nodes')
    return [{ field: 'gpus_per_node', message: 'gpus_per_node is required with nodes (GPUs on each node)' }];
  if (given[0] === 'gpus_per_node')
    return [{ field: 'nodes', message: 'nodes is required with gpus_per_node (how many nodes to pick)' }];
  const message = `say where to run: give ${TWO_WAYS}`;
  return [
    { field: 'participants', message },
    { field: 'nodes', message },
  ];
}

/** A node as placement sees it: GPUs it could ever hold a rank on, and GPUs idle for it now. */
export interface NodeCapacity {
  node_id: string;
  hostname: string;
  /** GPUs a rank could ever be placed on (not excluded, not in MIG mode); the member table's count when it did not answer. */
  usable: number;
  /**
   * Of those, the ones a rank of this priority may use under the node's GPU policy now (not
   * disabled, gate passed; busy or not): only an operator opens more. `usable` when it did not answer.
   */
  eligible: number;
  /** Why the others are closed to the rank (`GPU 0 disabled, GPU 1 requires priority ≥ 3`); null when none is. */
  closed: string | null;
  /** Idle eligible GPUs now (see idleEligibleGpus); 0 while `blocker`; -1 when it did not answer. */
  idle: number;
  reachable: boolean;
  /** Why no rank can start there now (its scheduler is paused, ...); null when one can, or it did not answer. */
  blocker: string | null;
  /** The GPUs its scheduler holds for a waiting job that a rank would come after (not in `idle`); else null. */
  held: HeldGpus | null;
}

/**
 * Why `nodes` × `gpus_per_node` can never be placed on the cluster `capacities` describes, whatever
 * frees up or comes back: more nodes than it has, more GPUs than its largest node has, or too few
 * nodes that large. Empty when it could be (then a shortfall now is a conflict that passes).
 */
export function neverPlaceable(
  capacities: readonly NodeCapacity[],
  nodes: number,
  gpusPerNode: number,
): ErrorDetail[] {
  const size = capacities.length;
  const largest = Math.max(0, ...capacities.map((c) => c.usable));
  const never = 'so it can never run on this cluster';
  const out: ErrorDetail[] = [];
  if (nodes > size)
    out.push({
      field: 'nodes',
      message: `nodes is ${nodes} but the cluster has ${plural(size, 'node')}, ${never}`,
    });
  if (gpusPerNode > largest)
    out.push({
      field: 'gpus_per_node',
      message: `gpus_per_node is ${gpusPerNode} but the largest node has ${plural(largest, 'usable GPU')}, ${never}`,
    });
  const large = capacities.filter((c) => c.usable >= gpusPerNode).length;
  if (!out.length && large < nodes)
    out.push({
      field: 'nodes',
      message:
        `nodes is ${nodes} but only ${large} of the cluster's ${plural(size, 'node')} ` +
        `${large === 1 ? 'has' : 'have'} ${plural(gpusPerNode, 'usable GPU')} or more, ${never}`,
    });
  return out;
}

/**
 * Refuses a submit's `participants` (`capacities` in the same order) before anything is journaled:
 * more GPUs than a node has — a 400 naming `participants[i].gpus` (nothing ever frees them) — or a
 * node that starts nothing now — a 409 naming `participants[i].node_id` and why (it would refuse its
 * rank, e.g. its scheduler is paused).
 */
export function checkParticipants(
  given: ReadonlyArray<{ gpus: number }>,
  capacities: readonly NodeCapacity[],
): void {
  const never: ErrorDetail[] = [];
  const notNow: ErrorDetail[] = [];
  given.forEach(({ gpus }, i) => {
    const c = capacities[i];
    if (gpus > c.usable)
      never.push({
        field: `participants[${i}].gpus`,
        message: `participants[${i}].gpus is ${gpus} but ${nodeLabel(c)} has ${plural(c.usable, 'usable GPU')}, so it can never run there`,
      });
    else if (c.blocker)
      notNow.push({
        field: `participants[${i}].node_id`,
        message: `${nodeLabel(c)} cannot start its rank now: ${c.blocker}`,
      });
    // Its node would refuse the rank once another's had started (which was then killed).
    else if (gpus > c.eligible)
      notNow.push({
        field: `participants[${i}].gpus`,
        message:
          `participants[${i}].gpus is ${gpus} but ${nodeLabel(c)} lets this job's priority use ` +
          `${plural(c.eligible, 'GPU')} of its ${c.usable} (${c.closed}), until its GPU policy changes`,
      });
  });
  if (never.length)
    throw new DomainError(
      'VALIDATION_FAILED',
      `Invalid request: ${never.map((d) => d.message).join('; ')}`,
      never,
    );
  if (notNow.length)
    throw new DomainError(
      'CONFLICT',
      `${notNow.map((d) => d.message).join('; ')} (the ranks of a multi-node job start together)`,
      notNow,
    );
}

/**
 * `gpu-box (1234abcd) 2 idle of 8 usable, …, gpu-box-2 (5a6b7c8d) starts nothing now: its scheduler
 * is paused (…), gpu-box-3 (9f8e7d6c) unreachable`: why nodes were or were not picked.
 */
export function capacityList(capacities: readonly NodeCapacity[]): string {
  return capacities
    .map(
      (c) =>
        `${nodeLabel(c)} ${
          !c.reachable
            ? 'unreachable'
            : c.idle < 0
              ? 'no answer'
              : c.blocker
                ? `starts nothing now: ${c.blocker}`
                : `${c.idle} idle of ${plural(c.usable, 'usable GPU')}${c.closed ? ` (${c.closed})` : ''}${c.held ? ` (${heldText(c.held)})` : ''}`
        }`,
    )
    .join(', ');
}

/** E.g. `GPUs 2,3 held for waiting job q_x, priority 5`. */
function heldText(held: HeldGpus): string {
  const gpus = `${held.gpu_indices.length === 1 ? 'GPU' : 'GPUs'} ${held.gpu_indices.join(',')}`;
  return `${gpus} held for waiting job ${held.queue_id}, priority ${Math.floor(held.priority)}`;
}
