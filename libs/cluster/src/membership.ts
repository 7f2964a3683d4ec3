import type { InterfaceAddress, NodeVersions } from './node-probe';

/** What each node writes under `members.<node_id>` every heartbeat. */
export interface MemberRecord {
  node_id: string;
  hostname: string;
  /** Addresses peers should dial, preferred first. */
  addresses: string[];
  /** `--advertise-url`, else `http://<listening address>:<port>`; null before the HTTP server listens. */
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

/** How many of a member's last heartbeats its clock offset is read from (one a second). */
const OFFSET_SAMPLES = 10;

/**
 * The member table as this node sees it, fed by the KV watch. A member that goes silent stays listed
 * with `reachable: false` (flag, not delete) until this process restarts and the bucket's max_age has
 * dropped its record.
 */
export class MemberTable {
  private readonly members = new Map<string, { record: MemberRecord; seenAt: number }>();
  /**
   * Each member's clock minus NATS' (ms), from its last heartbeats: a heartbeat says when it was sent
   * by that member's clock, and NATS says when it stored it. The delay in between (publish latency,
   * ~1 ms; more when the sender's event loop was busy) only makes a reading smaller, so the offset
   * is the largest of the last OFFSET_SAMPLES. This node's own ({@link selfId}) is 0 until its first
   * heartbeat comes back.
   */
  private readonly clockOffsets = new Map<string, { samples: number[]; storedAt: number }>();

  /** A member's clock offset (see {@link clockOffsets}); null before its first heartbeat. */
  private offsetOf(nodeId: string | null): number | null {
    const measured = nodeId === null ? undefined : this.clockOffsets.get(nodeId);
    return measured ? Math.max(...measured.samples) : null;
  }

  /** This node's clock minus NATS' (ms); see {@link clockOffsets}. */
  private get clockOffset(): number {
    return this.offsetOf(this.selfId) ?? 0;
  }

  constructor(
    readonly staleAfterMs: number,
    /** This node's id: its own heartbeats measure the clock offset. */
    private readonly selfId: string | null = null,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A heartbeat arrived; `storedAt` is when NATS stored it (NATS' clock). A live update counts from
   * now; a value the watch replays from before (older than the stale limit) keeps its own age, so a
   * member dead before this node started is not shown reachable. Ages are read on this node's clock
   * (NATS' time shifted by the measured offset), so a clock seconds off NATS' does not make every
   * live heartbeat look like an old one.
   */
  heartbeat(record: MemberRecord, storedAt: number): void {
    const now = this.now();
    const sentAt = Date.parse(record.heartbeat_at);
    const measured = this.clockOffsets.get(record.node_id);
    if (Number.isFinite(sentAt) && (!measured || measured.storedAt <= storedAt))
      this.clockOffsets.set(record.node_id, {
        samples: [...(measured?.samples ?? []), sentAt - storedAt].slice(-OFFSET_SAMPLES),
        storedAt,
      });
    const storedAtHere = storedAt + this.clockOffset;
    const seenAt = now - storedAtHere > this.staleAfterMs ? storedAtHere : now;
    const known = this.members.get(record.node_id);
    if (known && known.seenAt > seenAt) return;
    this.members.set(record.node_id, { record, seenAt });
  }

  /**
   * How long ago (ms) `sentAt`, a time by member `nodeId`'s clock, was — both clocks read through
   * their offsets to NATS' clock, so clocks that disagree do not age (or rejuvenate) what a member
   * sent. Null when no heartbeat of `nodeId` has been seen.
   */
  ageOf(nodeId: string, sentAt: number): number | null {
    const theirs = this.offsetOf(nodeId);
    if (theirs === null) return null;
    return this.now() - this.clockOffset - (sentAt - theirs);
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
