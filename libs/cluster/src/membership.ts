import type { InterfaceAddress, NodeVersions } from './node-probe';

/** What each node writes under `members.<node_id>` every heartbeat. */
export interface MemberRecord {
  node_id: string;
  hostname: string;
  /** Addresses peers should dial, preferred first. */
  addresses: string[];
  /** `http://<first address>:<port>`; null before the HTTP server listens. */
  api_url: string | null;
  versions: NodeVersions;
  interfaces: InterfaceAddress[];
  cpu_count: number;
  cpu_model: string | null;
  ram_total_bytes: number;
  gpus: { count: number; names: string[]; memory_total_mib: number };
  /** ISO 8601 time this server process started. */
  started_at: string;
  /** ISO 8601 time of this heartbeat, by the sender's clock (informational). */
  heartbeat_at: string;
}

export interface Member extends MemberRecord {
  /** True only while heartbeats keep arriving (the last one at most `staleAfterMs` ago). */
  reachable: boolean;
  /** ISO 8601 time the last heartbeat was seen, by this node's clock. */
  last_seen_at: string;
}

/**
 * The member table as this node sees it, fed by the KV watch. A member that goes silent stays listed
 * with `reachable: false` (flag, not delete) until this process restarts and the bucket's max_age has
 * dropped its record.
 */
export class MemberTable {
  private readonly members = new Map<string, { record: MemberRecord; seenAt: number }>();

  constructor(
    readonly staleAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A heartbeat arrived; `storedAt` is when NATS stored it. A live update counts from now; a value the
   * watch replays from before (older than the stale limit by NATS' clock) keeps its own age, so a
   * member dead before this node started is not shown reachable.
   */
  heartbeat(record: MemberRecord, storedAt: number): void {
    const now = this.now();
    const seenAt = now - storedAt > this.staleAfterMs ? storedAt : now;
    const known = this.members.get(record.node_id);
    if (known && known.seenAt > seenAt) return;
    this.members.set(record.node_id, { record, seenAt });
  }

  /** Every member ever seen, sorted by hostname then node id. */
  list(): Member[] {
    const now = this.now();
    return [...this.members.values()]
      .map(({ record, seenAt }) => ({
        ...record,
        reachable: now - seenAt <= this.staleAfterMs,
        last_seen_at: new Date(seenAt).toISOString(),
      }))
      .sort((a, b) => a.hostname.localeCompare(b.hostname) || a.node_id.localeCompare(b.node_id));
  }
}
