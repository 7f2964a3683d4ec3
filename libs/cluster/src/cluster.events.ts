import { ApiProperty } from '@nestjs/swagger';
import { JournalEntryType, auditOnly, type JournaledEvent, type ReplayRule } from '@trainyard/journal';
import type { BundleRecord } from './bundles';

// Cluster job bundles are journal entries: replicated through the cluster stream to every node, so
// every node lists the same bundles and none lives only in the master's memory. The fields are the
// payload and its OpenAPI schema; changing one is a new `.v<N>`.

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
  auditOnly(ClusterBundleSubmittedEvent),
  auditOnly(ClusterBundleCancelledEvent),
];
