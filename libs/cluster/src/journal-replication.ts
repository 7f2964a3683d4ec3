import { Logger } from '@nestjs/common';
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Database } from '@trainyard/database';
import { JobCancelledEvent, JobFinishedEvent, type JobStatus } from '@trainyard/jobs';
import { Journal, journalEntryTypeOf, type JournalEntry } from '@trainyard/journal';
import { ClusterBundleSubmittedEvent } from './cluster.events';
import { ClusterCursorEntity } from './infrastructure/cluster-cursor.entity';
import { ReplicatedEntryEntity } from './infrastructure/replicated-entry.entity';
import { testSwitchMs } from './test-switches';

/** Entries published per outbox round (in flight together, acknowledged in order). */
const OUTBOX_BATCH = 256;
/** JetStream drops a message whose id it saw within this window (a re-publish after a lost ack). */
const DUPLICATE_WINDOW_NS = 30 * 60 * 1e9;

export function journalStreamName(cluster: string): string {
  return `TRAINYARD_${cluster}_JOURNAL`;
}

/**
 * Ships this node's journal to the cluster's stream and copies every node's entries back into the
 * replicated view (`cluster_journal`).
 *
 * Outbox: `published_seq` (SQLite) is the last local seq the stream acknowledged; each round publishes
 * the entries after it with message id `<node>:<seq>`, so a round repeated after a crash or a lost ack
 * is dropped by JetStream's de-duplication. Entries written while NATS was away wait in the journal.
 * Inbox: an ordered consumer from `consumed_stream_seq + 1`; each entry is inserted keyed by
 * (origin, seq), so applying one twice changes nothing.
 */
export class JournalReplication {
  private readonly logger = new Logger('ClusterJournal');
  private publishing = false;
  private publishAgain = false;
  private stopConsumer: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly cluster: string,
    private readonly nodeId: string,
    private readonly db: Database,
    private readonly journal: Journal,
  ) {}

  get stream(): string {
    return journalStreamName(this.cluster);
  }

  private get subjectPrefix(): string {
    return `trainyard.${this.cluster}.journal`;
  }

  /** This node's entries' subject. */
  private get subject(): string {
    return `${this.subjectPrefix}.${this.nodeId}`;
  }

  /** Creates the stream if missing (idempotent; run after every (re)connect). */
  async ensureStream(jsm: JetStreamManager): Promise<void> {
    try {
      await jsm.streams.info(this.stream);
    } catch {
      await jsm.streams.add({
        name: this.stream,
        subjects: [`${this.subjectPrefix}.>`],
        duplicate_window: DUPLICATE_WINDOW_NS,
      });
    }
  }

  /**
   * Whether this node's journal carries on the history the stream holds for its node id: null when it
   * does (the stream's last entry from this node id is one of ours — same seq, time and type — or
   * there is none), else the difference in words. Another server with this node id (a copied or
   * restored state directory) writes its own entries under the same seqs: publishing ours after its
   * would leave the cluster with two histories of one node (JetStream drops the later ones as
   * duplicates of `<node>:<seq>`, so they would contradict this node's own database).
   */
  async divergence(jsm: JetStreamManager): Promise<string | null> {
    const last = await jsm.streams.getMessage(this.stream, { last_by_subj: this.subject });
    if (!last) return null;
    const theirs = last.json<JournalEntry>();
    const ours = await this.journal.entryAt(theirs.seq);
    if (ours && ours.ts === theirs.ts && ours.type === theirs.type) return null;
    const where = ours
      ? `this server's entry ${ours.seq} is ${ours.type} at ${ours.ts}`
      : `this server's journal ends at entry ${await this.journal.lastSeq()}`;
    return `the cluster's journal has entry ${theirs.seq} of node ${this.nodeId} as ${theirs.type} at ${theirs.ts}, but ${where}`;
  }

  async cursor(): Promise<ClusterCursorEntity> {
    const repo = this.db.manager.getRepository(ClusterCursorEntity);
    return (
      (await repo.findOneBy({ cluster: this.cluster })) ??
      repo.create({ cluster: this.cluster, published_seq: 0, consumed_stream_seq: 0 })
    );
  }

  /**
   * Publishes everything after the outbox cursor. Single-flight: a call during a round makes that
   * round go once more. Failures (NATS away) leave the cursor where the stream last acknowledged.
   */
  async publishPending(js: JetStreamClient): Promise<void> {
    if (this.publishing) {
      this.publishAgain = true;
      return;
    }
    this.publishing = true;
    try {
      do {
        this.publishAgain = false;
        while (!this.stopped && (await this.publishRound(js)) > 0);
      } while (this.publishAgain && !this.stopped);
    } catch (err) {
      this.logger.debug(`outbox paused: ${(err as Error).message}`);
    } finally {
      this.publishing = false;
    }
  }

  private async publishRound(js: JetStreamClient): Promise<number> {
    const from = (await this.cursor()).published_seq;
    const { items } = await this.journal.list({ afterSeq: from, order: 'asc', limit: OUTBOX_BATCH });
    if (items.length === 0) return 0;
    const acks = await Promise.allSettled(
      items.map((entry) =>
        js.publish(this.subject, JSON.stringify(entry), { msgID: `${this.nodeId}:${entry.seq}` }),
      ),
    );
    // Only an unbroken run of acknowledged entries moves the cursor: no entry is ever skipped.
    let last = from;
    for (const [i, ack] of acks.entries()) {
      if (ack.status !== 'fulfilled') break;
      last = items[i].seq;
    }
    if (last > from) await this.saveCursor({ published_seq: last });
    const failed = acks.find((a): a is PromiseRejectedResult => a.status === 'rejected');
    if (failed) throw failed.reason;
    return items.length;
  }

  private async saveCursor(change: Partial<ClusterCursorEntity>): Promise<void> {
    await this.db.transaction(async (tx) => {
      const repo = tx.getRepository(ClusterCursorEntity);
      const row =
        (await repo.findOneBy({ cluster: this.cluster })) ??
        repo.create({ cluster: this.cluster, published_seq: 0, consumed_stream_seq: 0 });
      await repo.save({ ...row, ...change });
    });
  }

  /**
   * Copies the stream into the replicated view until `stop()` or an error; resolves then (the caller
   * starts it again, from the saved cursor).
   */
  async consume(js: JetStreamClient): Promise<void> {
    const start = (await this.cursor()).consumed_stream_seq;
    const consumer = await js.consumers.get(
      this.stream,
      start > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start + 1 }
        : { deliver_policy: DeliverPolicy.All },
    );
    const messages = await consumer.consume();
    this.stopConsumer = () => void messages.stop();
    try {
      for await (const m of messages) {
        const entry = m.json<JournalEntry>();
        if (entry.type === SUBMITTED) await holdSettled(entry);
        await this.apply(entry, m.seq);
      }
    } finally {
      this.stopConsumer = null;
    }
  }

  /** Ends the running consume() (e.g. after a reconnect, to restart it from the cursor). */
  restartConsumer(): void {
    this.stopConsumer?.();
  }

  stop(): void {
    this.stopped = true;
    this.stopConsumer?.();
  }

  private async apply(entry: JournalEntry, streamSeq: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx
        .createQueryBuilder()
        .insert()
        .into(ReplicatedEntryEntity)
        .values({
          origin_node_id: entry.origin_node_id,
          seq: entry.seq,
          ts: entry.ts,
          type: entry.type,
          payload: JSON.stringify(entry.payload),
          queue_id: typeof entry.payload.queue_id === 'string' ? entry.payload.queue_id : null,
          stream_seq: streamSeq,
        })
        .orIgnore()
        .execute();
      const repo = tx.getRepository(ClusterCursorEntity);
      const row =
        (await repo.findOneBy({ cluster: this.cluster })) ??
        repo.create({ cluster: this.cluster, published_seq: 0, consumed_stream_seq: 0 });
      await repo.save({ ...row, consumed_stream_seq: streamSeq });
    });
  }

  /** The replicated entries of these types after stream sequence `after`, in arrival order (cluster job bundles). */
  async ofTypes(types: readonly string[], after = 0): Promise<ReplicatedEntryEntity[]> {
    return this.db.manager
      .getRepository(ReplicatedEntryEntity)
      .createQueryBuilder('r')
      .where('r.stream_seq > :after', { after })
      .andWhere('r.type IN (:...types)', { types })
      .orderBy('r.stream_seq', 'ASC')
      .getMany();
  }

  /**
   * How these jobs of node `nodeId` ended, by its replicated entries: the status it finished with,
   * or null when a cancel removed it from the queue. Jobs without such an entry are left out. For
   * the ranks of a node that does not answer (looked up by node and queue id: see ReplicatedEntryEntity.queue_id).
   */
  async jobEnds(nodeId: string, queueIds: readonly string[]): Promise<Map<string, JobStatus | null>> {
    const ends = new Map<string, JobStatus | null>();
    if (!queueIds.length) return ends;
    const rows = await this.db.manager
      .getRepository(ReplicatedEntryEntity)
      .createQueryBuilder('r')
      .where('r.origin_node_id = :nodeId', { nodeId })
      .andWhere('r.queue_id IN (:...queueIds)', { queueIds })
      .andWhere('r.type IN (:...types)', { types: [FINISHED, CANCELLED] })
      .getMany();
    for (const row of rows) {
      const status =
        row.type === FINISHED ? (JSON.parse(row.payload) as { status?: JobStatus }).status : null;
      ends.set(row.queue_id as string, status ?? null); // one of queueIds: the query matched on it
    }
    return ends;
  }

  /** One page of the replicated view in arrival order, after stream sequence `after`. */
  async list(after: number, limit: number): Promise<{ items: ReplicatedEntryEntity[]; total: number }> {
    const repo = this.db.manager.getRepository(ReplicatedEntryEntity);
    const [items, total] = await Promise.all([
      repo
        .createQueryBuilder('r')
        .where('r.stream_seq > :after', { after })
        .orderBy('r.stream_seq', 'ASC')
        .limit(limit)
        .getMany(),
      repo.count(),
    ]);
    return { items, total };
  }
}

const SUBMITTED = journalEntryTypeOf(ClusterBundleSubmittedEvent);
const FINISHED = journalEntryTypeOf(JobFinishedEvent);
const CANCELLED = journalEntryTypeOf(JobCancelledEvent);

/** TEST ONLY: TRAINYARD_TEST_HOLD_SETTLED (see test-switches) applies a `submitted` bundle late. */
async function holdSettled(entry: JournalEntry): Promise<void> {
  const ms = testSwitchMs('TRAINYARD_TEST_HOLD_SETTLED', (entry.payload.bundle as { name?: string })?.name);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}
