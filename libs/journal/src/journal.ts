import { Inject, Injectable } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { Database, Tx } from '@trainyard/database';
import { JournalEntryEntity } from './infrastructure/journal-entry.entity';
import { journalEntryTypeOf, type JournaledEvent } from './journal-entry-type';

export const NODE_ID = Symbol('NODE_ID');

export interface Recorded<T> {
  result: T;
  events: JournaledEvent[];
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

  constructor(
    private readonly db: Database,
    private readonly eventBus: EventBus,
    @Inject(NODE_ID) readonly nodeId: string,
  ) {}

  async record<T>(work: (tx: Tx) => Promise<Recorded<T>>): Promise<T> {
    const { result, events, entries } = await this.db.transaction(async (tx) => {
      const recorded = await work(tx);
      const ts = new Date().toISOString();
      const rows = recorded.events.map((event) =>
        tx.create(JournalEntryEntity, {
          ts,
          origin_node_id: this.nodeId,
          type: journalEntryTypeOf(event),
          payload: JSON.stringify(event),
        }),
      );
      const saved = rows.length ? await tx.save(JournalEntryEntity, rows, { chunk: 200 }) : [];
      return { ...recorded, entries: saved.map(toEntry) };
    });
    for (const relay of this.relays) relay(entries);
    if (events.length) this.eventBus.publishAll(events);
    return result;
  }

  /** Calls `relay` after every commit, in commit order; returns the function that stops it. */
  onCommitted(relay: JournalRelay): () => void {
    this.relays.push(relay);
    return () => {
      const at = this.relays.indexOf(relay);
      if (at >= 0) this.relays.splice(at, 1);
    };
  }

  async list(afterSeq: number, limit: number): Promise<{ items: JournalEntry[]; total: number }> {
    const repo = this.db.manager.getRepository(JournalEntryEntity);
    const [rows, total] = await Promise.all([
      repo
        .createQueryBuilder('j')
        .where('j.seq > :afterSeq', { afterSeq })
        .orderBy('j.seq', 'ASC')
        .limit(limit)
        .getMany(),
      repo.count(),
    ]);
    return { items: rows.map(toEntry), total };
  }
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
