import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { Database, insertRow, Tx } from '@trainyard/database';
import { JournalEntryEntity } from './infrastructure/journal-entry.entity';
import { journalEntryTypeOf, type JournaledEvent } from './journal-entry-type';

export const NODE_ID = Symbol('NODE_ID');
/** Most changes one group commit takes; more wait for the next one. */
export const MAX_GROUP_COMMIT = 256;

export interface Recorded<T> {
  result: T;
  events: JournaledEvent[];
  /**
   * Runs right after the commit, before the events are published: for a step that must follow the
   * commit and should not wait for the event handlers (a launch). What it throws is logged.
   */
  afterCommit?: () => void;
}

export interface JournalEntry {
  seq: number;
  ts: string;
  origin_node_id: string;
  /** A declared entry type, `<area>.<event>.v<N>` (see journalEntryTypes()). */
  type: string;
  /** The event's own fields, as declared by its class. */
  payload: Record<string, unknown>;
}

/** Observers of committed entries (e.g. cluster replication's outbox relay). */
export type JournalRelay = (entries: JournalEntry[]) => void;

/**
 * Every state change goes through `record`: the change and its journal entries commit in one SQLite
 * transaction, and only then are the events published to the rest of the app. Each entry carries what
 * a replica needs to make the same change (see journal-replay.ts); an event whose class is not a
 * declared entry type fails the transaction.
 */
@Injectable()
export class Journal {
  private readonly relays: JournalRelay[] = [];
  private readonly pending: Array<{
    work: (tx: Tx) => Promise<Recorded<unknown>>;
    resolve: (result: unknown) => void;
    reject: (error: unknown) => void;
  }> = [];
  private flushScheduled = false;
  /** A redaction was written since the last commit: the WAL is truncated after it (see redact). */
  private redacted = false;
  /** The undo steps of the change whose work is running in each open transaction (see onRollback). */
  private readonly undos = new WeakMap<Tx, Array<() => void>>();
  private readonly logger = new Logger('Journal');

  constructor(
    private readonly db: Database,
    private readonly eventBus: EventBus,
    @Inject(NODE_ID) readonly nodeId: string,
  ) {}

  /**
   * Commits `work`'s change and its journal entries together, then publishes the events; resolves
   * with `work`'s result once the commit is durable, rejects (nothing written) if `work` throws or
   * the commit fails. Changes recorded in the same event-loop turn share one SQLite transaction (a
   * group commit), each in its own savepoint, so one failing change never takes the others with it.
   */
  record<T>(work: (tx: Tx) => Promise<Recorded<T>>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (result: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /**
   * Rewrites, inside `tx`, the stored payload of this node's `type` entries about these jobs
   * (`payload.queue_id`) with `redact` — for what an entry carried that must not outlive its job
   * (a deleted job's environment, which may hold credentials). The entries stay, so the journal
   * still replays to the same rows (the job's removal follows them). Once the change commits, the
   * WAL is truncated, so the old payloads are left neither there nor (secure_delete) in the database
   * file. Returns the entries changed.
   */
  async redact(
    tx: Tx,
    type: string,
    queueIds: readonly string[],
    redact: (payload: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<number> {
    if (!queueIds.length) return 0;
    const rows = await tx.query<Array<{ seq: number; payload: string }>>(
      `SELECT seq, payload FROM journal WHERE type = ? AND origin_node_id = ? AND ` +
        `json_extract(payload, '$.queue_id') IN (${queueIds.map(() => '?').join(', ')})`,
      [type, this.nodeId, ...queueIds],
    );
    if (rows.length) this.redacted = true;
    for (const row of rows)
      await tx.query('UPDATE journal SET payload = ? WHERE seq = ?', [
        JSON.stringify(redact(JSON.parse(row.payload) as Record<string, unknown>)),
        row.seq,
      ]);
    return rows.length;
  }

  /**
   * Called inside a `record` work: `undo` runs if that change does not commit (its savepoint rolled
   * back, or the whole group commit failed) — for in-memory state set alongside its rows, such as the
   * GPUs a claim reserves. Throws outside a work.
   */
  onRollback(tx: Tx, undo: () => void): void {
    const list = this.undos.get(tx);
    if (!list) throw new Error('Journal.onRollback called outside a journal record');
    list.push(undo);
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.pending.splice(0, MAX_GROUP_COMMIT);
    if (this.pending.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => void this.flush());
    }
    const grouped = batch.length > 1;
    const outcomes: Array<
      { ok: true; recorded: Recorded<unknown>; entries: JournalEntry[] } | { ok: false; error: unknown }
    > = [];
    const undos: Array<Array<() => void>> = [];
    try {
      await this.db.transaction(async (tx) => {
        for (const { work } of batch) {
          const undo: Array<() => void> = [];
          undos.push(undo);
          this.undos.set(tx, undo);
          if (grouped) await tx.query('SAVEPOINT journal_record');
          try {
            const recorded = await work(tx);
            const entries = await this.writeEntries(tx, recorded.events);
            if (grouped) await tx.query('RELEASE journal_record');
            outcomes.push({ ok: true, recorded, entries });
          } catch (error) {
            // Alone, the whole transaction rolls back as it always did; grouped, only this change does.
            if (!grouped) throw error;
            await tx.query('ROLLBACK TO journal_record');
            await tx.query('RELEASE journal_record');
            this.runSafely(undo.splice(0), 'an undo step');
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      this.runSafely(undos.flat(), 'an undo step');
      for (const { reject } of batch) reject(error); // nothing of the batch was committed
      return;
    }
    if (this.redacted) {
      this.redacted = false;
      void this.db.truncateWal();
    }
    this.runSafely(
      outcomes.flatMap((o) => (o.ok && o.recorded.afterCommit ? [o.recorded.afterCommit] : [])),
      'an after-commit step',
    );
    for (const [i, outcome] of outcomes.entries()) {
      if (!outcome.ok) {
        batch[i].reject(outcome.error);
        continue;
      }
      for (const relay of this.relays) relay(outcome.entries);
      if (outcome.recorded.events.length) this.eventBus.publishAll(outcome.recorded.events);
      batch[i].resolve(outcome.recorded.result);
    }
  }

  /** Runs each step; one that throws is logged and never keeps the others (or the batch's answers) from running. */
  private runSafely(steps: Array<() => void>, what: string): void {
    for (const step of steps) {
      try {
        step();
      } catch (err) {
        this.logger.error(`${what} failed: ${(err as Error).stack ?? String(err)}`);
      }
    }
  }

  private async writeEntries(tx: Tx, events: JournaledEvent[]): Promise<JournalEntry[]> {
    if (events.length === 0) return [];
    const ts = new Date().toISOString();
    const entries: JournalEntry[] = [];
    for (const event of events) {
      const row = {
        ts,
        origin_node_id: this.nodeId,
        type: journalEntryTypeOf(event),
        payload: JSON.stringify(event),
      };
      const seq = await insertRow(tx, JournalEntryEntity, row);
      entries.push(toEntry({ ...row, seq }));
    }
    return entries;
  }

  /** Calls `relay` after every commit, in commit order; returns the function that stops it. */
  onCommitted(relay: JournalRelay): () => void {
    this.relays.push(relay);
    return () => {
      const at = this.relays.indexOf(relay);
      if (at >= 0) this.relays.splice(at, 1);
    };
  }

  /**
   * One page of entries. `after_seq`/`before_seq` bound seq (exclusive), `area` keeps one area's
   * entries (`job` → `job.*`), `queueId` those about one job, `order` is `asc` (commit order) or
   * `desc` (newest first). `total` counts every matching entry, ignoring the seq bounds.
   */
  async list(query: JournalQuery): Promise<{ items: JournalEntry[]; total: number }> {
    const repo = this.db.manager.getRepository(JournalEntryEntity);
    const inArea = () => {
      const qb = repo.createQueryBuilder('j');
      // substr, not LIKE: `_` in an area name is a LIKE wildcard.
      if (query.area)
        qb.where('substr(j.type, 1, :n) = :prefix', { n: query.area.length + 1, prefix: `${query.area}.` });
      if (query.queueId)
        qb.andWhere(
          "(json_extract(j.payload, '$.queue_id') = :id OR " +
            "EXISTS (SELECT 1 FROM json_each(j.payload, '$.queue_ids') WHERE value = :id))",
          { id: query.queueId },
        );
      return qb;
    };
    const page = inArea();
    if (query.afterSeq !== undefined) page.andWhere('j.seq > :afterSeq', { afterSeq: query.afterSeq });
    if (query.beforeSeq !== undefined) page.andWhere('j.seq < :beforeSeq', { beforeSeq: query.beforeSeq });
    const [rows, total] = await Promise.all([
      page
        .orderBy('j.seq', query.order === 'desc' ? 'DESC' : 'ASC')
        .limit(query.limit)
        .getMany(),
      inArea().getCount(),
    ]);
    return { items: rows.map(toEntry), total };
  }
  /**
   * The newest `limit` entries whose `payload.queue_id` is this job's, newest first — by the
   * expression index (no count, no scan of `queue_ids` lists: for lookups on a request's path).
   */
  async latestAbout(queueId: string, limit: number): Promise<JournalEntry[]> {
    const rows = await this.db.manager.query<JournalEntryEntity[]>(
      `SELECT * FROM journal WHERE json_extract(payload, '$.queue_id') = ? ORDER BY seq DESC LIMIT ?`,
      [queueId, limit],
    );
    return rows.map(toEntry);
  }

  /** The entry with this seq, or null (never written). */
  async entryAt(seq: number): Promise<JournalEntry | null> {
    const row = await this.db.manager.getRepository(JournalEntryEntity).findOneBy({ seq });
    return row ? toEntry(row) : null;
  }

  /** The last seq written, 0 for an empty journal. */
  async lastSeq(): Promise<number> {
    const [row] = await this.db.manager.query<Array<{ seq: number | null }>>(
      'SELECT max(seq) AS seq FROM journal',
    );
    return row?.seq ?? 0;
  }
}

export interface JournalQuery {
  afterSeq?: number;
  beforeSeq?: number;
  /** An entry type's first part (`job`, `gpu`, `auth`, `scheduler`). */
  area?: string;
  /** Entries about this job (its `queue_id`, or in `queue_ids`). */
  queueId?: string;
  order?: 'asc' | 'desc';
  limit: number;
}

function toEntry(row: JournalEntryEntity): JournalEntry {
  return {
    seq: row.seq,
    ts: row.ts,
    origin_node_id: row.origin_node_id,
    type: row.type,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  };
}
