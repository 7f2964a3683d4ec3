import { isCasConflict } from './node-identity';

/** What the lease key holds. */
export interface LeaseRecord {
  node_id: string;
  /** ISO 8601 time this holder first took the lease. */
  acquired_at: string;
  /**
   * The term's fencing token: the revision of the write that began it. Absent on that first write
   * (its revision is the term); each renewal carries it on, so renewals keep the token.
   */
  term?: number;
}

/** The slice of a NATS KV bucket the lease needs (compare-and-set on the key's revision). */
export interface LeaseKv {
  get(key: string): Promise<{ revision: number; operation: string; json<T>(): T } | null>;
  create(key: string, data: string): Promise<number>;
  update(key: string, data: string, revision: number): Promise<number>;
  delete(key: string, opts?: { previousSeq?: number }): Promise<void>;
}

export interface MasterView {
  node_id: string;
  /**
   * The fencing token: the lease key's revision when the holder's term began. Renewals keep it; a new
   * term (another holder, or the same node taking the lease again after losing it) gets a larger one.
   */
  revision: number;
  acquired_at: string;
}

/**
 * The master lease: one KV key every node tries to hold. The holder renews it (a compare-and-set on
 * the revision it last wrote) every `ttlMs / 3`; a lease nobody has renewed for `ttlMs` — measured on
 * this node's own monotonic clock from when it first saw that revision, so clocks need not agree — is
 * taken over with a compare-and-set on that stale revision, which only one contender can win. The
 * holder counts itself master only while its last successful write is younger than `ttlMs`, which
 * ends before any other node can see the lease as stale: at most one node acts as master at a time.
 */
export class MasterLease {
  static readonly KEY = 'master';
  private seen: { revision: number; record: LeaseRecord | null; at: number } | null = null;
  /** Local time of this node's last successful write of the lease, the revision it wrote, and its term. */
  private mine: { revision: number; at: number; acquired_at: string; term: number } | null = null;

  constructor(
    readonly nodeId: string,
    readonly ttlMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get renewEveryMs(): number {
    return Math.max(1, Math.floor(this.ttlMs / 3));
  }

  /** Feeds a value of the lease key seen anywhere (the KV watch, a get); `record` null = deleted. */
  observe(revision: number, record: LeaseRecord | null): void {
    if (this.seen && this.seen.revision >= revision) return;
    this.seen = { revision, record, at: this.now() };
    if (this.mine && record?.node_id !== this.nodeId) this.mine = null;
  }

  /** Whether this node holds a lease it renewed within the TTL. */
  get isMaster(): boolean {
    return this.mine !== null && this.now() - this.mine.at < this.ttlMs;
  }

  /** The current master as this node knows it, or null when the lease is free or stale. */
  current(): MasterView | null {
    if (this.isMaster && this.mine)
      return { node_id: this.nodeId, revision: this.mine.term, acquired_at: this.mine.acquired_at };
    // This node's own id while this process is not master is another server with the same node id
    // (this one was refused it): that server is the master (see NodeIdentity).
    const seen = this.seen;
    if (!seen?.record || this.now() - seen.at >= this.ttlMs) return null;
    return {
      node_id: seen.record.node_id,
      revision: seen.record.term ?? seen.revision,
      acquired_at: seen.record.acquired_at,
    };
  }

  /** One round: renew if held, take over if free or stale, else just look. Throws when NATS fails. */
  async tick(kv: LeaseKv): Promise<void> {
    const entry = await kv.get(MasterLease.KEY);
    const live = entry && entry.operation === 'PUT' ? entry.json<LeaseRecord>() : null;
    if (entry) this.observe(entry.revision, live);
    const holder = live?.node_id;
    const stale = this.seen !== null && this.now() - this.seen.at >= this.ttlMs;
    if (live && holder !== this.nodeId && !stale) return;
    // A renewal only when this node's own term is still current: the key is the revision it last
    // wrote and its lease has not lapsed. Taking the lease again after losing it is a new term.
    const renewal = live !== null && this.isMaster && this.mine?.revision === entry?.revision;
    const record: LeaseRecord = renewal
      ? { node_id: this.nodeId, acquired_at: this.mine!.acquired_at, term: this.mine!.term }
      : { node_id: this.nodeId, acquired_at: new Date().toISOString() };
    const startedAt = this.now();
    let revision: number;
    try {
      revision = entry
        ? await kv.update(MasterLease.KEY, JSON.stringify(record), entry.revision)
        : await kv.create(MasterLease.KEY, JSON.stringify(record));
    } catch (err) {
      // Someone else wrote first: their write is the lease now; we learn it on the next look.
      if (isCasConflict(err)) {
        this.mine = null;
        return;
      }
      throw err;
    }
    // Valid from when the write was sent, not acknowledged: never longer than the others think.
    this.mine = { revision, at: startedAt, acquired_at: record.acquired_at, term: record.term ?? revision };
    this.seen = { revision, record, at: startedAt };
  }

  /** Gives the lease up at shutdown so another node takes it at once instead of after the TTL. */
  async release(kv: LeaseKv): Promise<void> {
    const mine = this.mine;
    this.mine = null;
    if (!mine) return;
    this.seen = null;
    await kv.delete(MasterLease.KEY, { previousSeq: mine.revision });
  }
}
