import { ApiProperty } from '@nestjs/swagger';
import { JournalEntryType, auditOnly, type JournaledEvent, type ReplayRule } from '@trainyard/journal';
import type { BundleRecord } from './bundles';

// Cluster job bundles are journal entries: replicated through the cluster stream to every node, so
// every node lists the same bundles and none lives only in the master's memory. The fields are the
// payload and its OpenAPI schema; changing one is a new `.v<N>`.

/**
 * The master's intent, journaled (and acknowledged by the cluster stream) before the first rank goes
 * out: the bundle with every rank planned (node, `enqueue_key`, argv; `queue_id` null). Whoever is
 * master resolves a bundle left in this state (see ClusterJobs.resolveStranded).
 */
@JournalEntryType(
  'cluster.bundle_submitting.v1',
  'a multi-node training bundle is being fanned out: the bundle with its planned ranks, before the first ' +
    'rank is enqueued. A replica keeps it in the replicated view (no local row).',
)
export class ClusterBundleSubmittingEvent implements JournaledEvent {
  /** The bundle, ranks planned (`queue_id` null, `enqueue_key` set). */
  @ApiProperty({ type: 'object', additionalProperties: true })
  readonly bundle: BundleRecord;

  constructor(fields: ClusterBundleSubmittingEvent) {
    this.bundle = fields.bundle;
  }
}

/** One rank of a bundle being submitted was enqueued on its node. */
@JournalEntryType(
  'cluster.bundle_rank_enqueued.v1',
  'one rank of a multi-node training bundle was enqueued on its node (its queue id). A replica keeps it ' +
    'in the replicated view.',
)
export class ClusterBundleRankEnqueuedEvent implements JournaledEvent {
  readonly bundle_id: string;
  readonly node_rank: number;
  readonly node_id: string;
  readonly queue_id: string;

  constructor(fields: ClusterBundleRankEnqueuedEvent) {
    this.bundle_id = fields.bundle_id;
    this.node_rank = fields.node_rank;
    this.node_id = fields.node_id;
    this.queue_id = fields.queue_id;
  }
}

/** A bundle's submit was rolled back: every rank that had been enqueued was cancelled. */
@JournalEntryType(
  'cluster.bundle_failed.v1',
  'a multi-node training bundle was rolled back (a node refused its rank, or the master died mid-fan-out ' +
    'and the next master found a rank missing); its enqueued ranks were cancelled. A replica keeps it in ' +
    'the replicated view.',
)
export class ClusterBundleFailedEvent implements JournaledEvent {
  readonly bundle_id: string;
  /** Why, e.g. `node-b refused rank 2: …`. */
  readonly reason: string;
  /** The node that rolled it back. */
  readonly resolved_by: string;

  constructor(fields: ClusterBundleFailedEvent) {
    this.bundle_id = fields.bundle_id;
    this.reason = fields.reason;
    this.resolved_by = fields.resolved_by;
  }
}

/** The master fanned a multi-node training job out to its ranks; every rank was enqueued. */
@JournalEntryType(
  'cluster.bundle_submitted.v1',
  'a multi-node training bundle was submitted: every rank was enqueued on its node. The whole bundle; ' +
    'a replica keeps it in the replicated view (no local row).',
)
export class ClusterBundleSubmittedEvent implements JournaledEvent {
  /** The bundle, ranks included (see GET /api/cluster/jobs/{id}). */
  @ApiProperty({ type: 'object', additionalProperties: true })
  readonly bundle: BundleRecord;

  constructor(fields: ClusterBundleSubmittedEvent) {
    this.bundle = fields.bundle;
  }
}

/** A bundle was cancelled: the cancel was sent to every rank's node. */
@JournalEntryType(
  'cluster.bundle_cancelled.v1',
  'a multi-node training bundle was cancelled (the cancel fanned out to every rank). A replica keeps it in ' +
    'the replicated view.',
)
export class ClusterBundleCancelledEvent implements JournaledEvent {
  readonly bundle_id: string;
  /** ISO 8601 time of the cancel. */
  readonly cancelled_at: string;

  constructor(fields: ClusterBundleCancelledEvent) {
    this.bundle_id = fields.bundle_id;
    this.cancelled_at = fields.cancelled_at;
  }
}

/** Bundles live in the replicated view (cluster_journal), not in a node-local table. */
export const CLUSTER_REPLAY_RULES: readonly ReplayRule[] = [
  auditOnly(ClusterBundleSubmittingEvent),
  auditOnly(ClusterBundleRankEnqueuedEvent),
  auditOnly(ClusterBundleFailedEvent),
  auditOnly(ClusterBundleSubmittedEvent),
  auditOnly(ClusterBundleCancelledEvent),
];
