import type { LeaseKv } from './master-lease';

/** What the identity key `ids.<node_id>` holds: which server process has this node id now. */
export interface IdentityRecord {
  /** Random per server process: tells apart two servers with one node id (a copied state directory). */
  instance_id: string;
  hostname: string;
  api_url: string | null;
  started_at: string;
}

/**
 * Where this process stands with its node id: it holds it and its journal is the node's history
 * (`held`), waits to know (`claiming`), another live server holds it (`refused`), or its journal
 * is not the history the cluster holds for the id (`diverged`, for good: a copy of the node's state).
 */
export type IdentityState = 'held' | 'claiming' | 'refused' | 'diverged';

/**
 * How this server's journal differs from the history the cluster holds for its node id, in words,
 * else null (see JournalReplication.divergence). Throws when it cannot tell (NATS away).
 */
export type HistoryCheck = () => Promise<string | null>;

/**
 * A node id is held by one server process at a time, as a lease like the master's: the holder
 * rewrites `ids.<node_id>` every heartbeat with a compare-and-set on the revision it last wrote. A
 * newcomer with the same id takes the key only when it is free, deleted (a clean stop) or unchanged
 * for `staleAfterMs` on this node's monotonic clock (its holder died); while its holder keeps
 * rewriting it the newcomer is refused, so two servers never serve one node's calls.
 *
 * Holding the key is not yet standing for the node: once per hold, `checkHistory` must find that
 * this server's journal carries on the node's history. A server whose history differs (a copied
 * or restored state directory, after the node wrote more) lets the key go and never claims it again.
 */
export class NodeIdentity {
  /** Our last write's revision while we hold the id. */
  private mine: number | null = null;
  /** Another process's claim: its record, the revision seen, when first seen, and whether it has changed since (live). */
  private other: { revision: number; record: IdentityRecord; at: number; live: boolean } | null = null;
  /** Whether checkHistory passed in the current hold of the key. */
  private historyChecked = false;
  /** How this server's journal differs from the node's history, once found. */
  private diverged: string | null = null;

  private readonly checkHistory: HistoryCheck;
  private readonly now: () => number;

  constructor(
    readonly nodeId: string,
    readonly instanceId: string,
    readonly staleAfterMs: number,
    opts: { checkHistory?: HistoryCheck; now?: () => number } = {},
  ) {
    this.checkHistory = opts.checkHistory ?? (async () => null);
    this.now = opts.now ?? (() => performance.now());
  }

  get key(): string {
    return `ids.${this.nodeId}`;
  }

  /** The revision of our last write while we hold the id, else null. */
  get revision(): number | null {
    return this.mine;
  }

  get state(): IdentityState {
    if (this.diverged !== null) return 'diverged';
    if (this.mine !== null) return this.historyChecked ? 'held' : 'claiming';
    return this.other?.live ? 'refused' : 'claiming';
  }

  /** Whether another server is this node id's member, not this one: it holds the id live, or has the node's history. */
  get refused(): boolean {
    return this.state === 'refused' || this.state === 'diverged';
  }

  /** How this server's journal differs from the node's history (state `diverged`), else null. */
  get divergence(): string | null {
    return this.diverged;
  }

  /** The other server process that holds this node id while this one is refused, else null. */
  get holder(): IdentityRecord | null {
    return this.state === 'refused' ? this.other!.record : null;
  }

  /**
   * One round: renew the claim, or take the id when free or stale, else note who holds it; on a new
   * hold, check the history (let the id go for good when it differs). Throws when NATS fails.
   */
  async tick(kv: LeaseKv, record: Omit<IdentityRecord, 'instance_id'>): Promise<IdentityState> {
    if (this.diverged !== null) return 'diverged';
    await this.lease(kv, record);
    if (this.mine === null || this.historyChecked) return this.state;
    const diverged = await this.checkHistory();
    if (diverged === null) this.historyChecked = true;
    else {
      this.diverged = diverged;
      await this.release(kv);
    }
    return this.state;
  }

  private async lease(kv: LeaseKv, record: Omit<IdentityRecord, 'instance_id'>): Promise<void> {
    const data = JSON.stringify({ ...record, instance_id: this.instanceId } satisfies IdentityRecord);
    if (this.mine !== null) {
      try {
        this.mine = await kv.update(this.key, data, this.mine);
        return;
      } catch (err) {
        if (!isCasConflict(err)) throw err;
        // Someone else wrote it (we were away longer than staleAfterMs): look again below.
        this.mine = null;
        this.historyChecked = false;
      }
    }
    const entry = await kv.get(this.key);
    const theirs = entry?.operation === 'PUT' ? entry.json<IdentityRecord>() : null;
    if (entry && theirs && theirs.instance_id !== this.instanceId) {
      const seen = this.other;
      if (!seen || seen.revision !== entry.revision)
        this.other = { revision: entry.revision, record: theirs, at: this.now(), live: seen !== null };
      if (this.now() - this.other!.at < this.staleAfterMs) return;
    }
    try {
      this.mine = entry ? await kv.update(this.key, data, entry.revision) : await kv.create(this.key, data);
      this.other = null;
    } catch (err) {
      if (!isCasConflict(err)) throw err;
    }
  }

  /** Frees the id at a clean stop, so a successor need not wait for it to go stale. */
  async release(kv: LeaseKv): Promise<void> {
    const mine = this.mine;
    this.mine = null;
    this.historyChecked = false;
    if (mine !== null) await kv.delete(this.key, { previousSeq: mine });
  }
}

/** A compare-and-set that lost: another writer came first. */
export function isCasConflict(err: unknown): boolean {
  return /wrong last sequence|key exists/i.test(String((err as Error)?.message));
}
