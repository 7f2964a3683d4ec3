import { Logger } from '@nestjs/common';
import type { EventBus } from '@nestjs/cqrs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteDataSource, Database, openDatabase } from '@trainyard/database';
import type { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';
import { JournalEntryEntity } from './infrastructure/journal-entry.entity';
import { Journal } from './journal';
import { JournalEntryType, journalEntryTypeOf, journalEntryTypes } from './journal-entry-type';
import { auditOnly, JournalReplayer, replayRule } from './journal-replay';

@JournalEntryType('test.thing_happened.v1', 'a test entry.')
class ThingHappenedEvent {
  constructor(
    readonly thing_id: string,
    readonly at: string,
  ) {}
}

class UndeclaredEvent {
  readonly type = 'test.undeclared';
  constructor(readonly thing_id: string) {}
}

describe(JournalEntryType.name, () => {
  it.each(['test.thing', 'Test.thing.v1', 'test.thing.v0', 'test.thing.1', 'test..v1'])(
    'refuses the malformed type name %s',
    (type) => {
      expect(() => JournalEntryType(type, 'x')).toThrow(/is not <area>.<event>.v<N>/);
    },
  );

  it('refuses a second class claiming a declared type', () => {
    expect(() => JournalEntryType('test.thing_happened.v1', 'x')(class OtherEvent {})).toThrow(
      /declared by both ThingHappenedEvent and OtherEvent/,
    );
  });

  it('names the type of a declared class or instance, and refuses an undeclared one', () => {
    expect(journalEntryTypeOf(ThingHappenedEvent)).toBe('test.thing_happened.v1');
    expect(journalEntryTypeOf(new ThingHappenedEvent('a', 'b'))).toBe('test.thing_happened.v1');
    expect(journalEntryTypes().get('test.thing_happened.v1')).toBe(ThingHappenedEvent);
    expect(() => journalEntryTypeOf(new UndeclaredEvent('a'))).toThrow(
      /UndeclaredEvent is not a journal entry type/,
    );
  });
});

describe(Journal.name, () => {
  let dir: string;
  let dataSource: DataSource;
  let published: unknown[];
  let sut: Journal;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trainyard-journal-'));
    dataSource = createSqliteDataSource({
      file: join(dir, 'db.sqlite'),
      entities: [JournalEntryEntity],
      migrations: MIGRATIONS,
    });
    await openDatabase(dataSource);
    published = [];
    const bus = { publishAll: (events: unknown[]) => published.push(...events) } as unknown as EventBus;
    sut = new Journal(new Database(dataSource), bus, 'node-a');
  });
  afterEach(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores the declared type and the event's own fields as the payload, then publishes", async () => {
    const event = new ThingHappenedEvent('t1', '2030-01-01T00:00:00.000Z');
    expect(await sut.record(async () => ({ result: 42, events: [event] }))).toBe(42);
    expect((await sut.list({ afterSeq: 0, limit: 10 })).items).toEqual([
      {
        seq: 1,
        ts: expect.any(String),
        origin_node_id: 'node-a',
        type: 'test.thing_happened.v1',
        payload: { thing_id: 't1', at: '2030-01-01T00:00:00.000Z' },
      },
    ]);
    expect(published).toEqual([event]);
  });

  it('fails the whole transaction for an event whose class is not a declared entry type', async () => {
    await expect(
      sut.record(async (tx) => {
        await tx.insert(JournalEntryEntity, { ts: 'x', origin_node_id: 'x', type: 'x', payload: '{}' });
        return { result: null, events: [new UndeclaredEvent('t1')] };
      }),
    ).rejects.toThrow(/not a journal entry type/);
    expect((await sut.list({ afterSeq: 0, limit: 10 })).total).toBe(0);
    expect(published).toEqual([]);
  });

  it('group-commits changes recorded in the same turn; one that fails rolls back alone', async () => {
    const transactions = jest.spyOn(dataSource, 'transaction');
    const insert = (id: string) => async (tx: import('@trainyard/database').Tx) => {
      await tx.query('INSERT INTO journal (ts, origin_node_id, type, payload) VALUES (?, ?, ?, ?)', [
        't',
        'node-a',
        'test.raw.v1',
        JSON.stringify({ id }),
      ]);
      return { result: id, events: [new ThingHappenedEvent(id, 'x')] };
    };
    const results = await Promise.allSettled([
      sut.record(insert('a')),
      sut.record(async (tx) => {
        await insert('b')(tx);
        throw new Error('refused');
      }),
      sut.record(insert('c')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(transactions).toHaveBeenCalledTimes(1);
    const types = (await sut.list({ afterSeq: 0, limit: 100 })).items.map(
      (e) => `${e.type}:${JSON.stringify(e.payload)}`,
    );
    expect(types.filter((t) => t.includes('"b"'))).toEqual([]);
    expect(types.filter((t) => t.includes('"a"') || t.includes('"c"'))).toHaveLength(4);
    expect(published.map((e) => (e as ThingHappenedEvent).thing_id)).toEqual(['a', 'c']);
  });
  it("answers a job's newest entries by its queue_id, newest first, and none for a job never journaled", async () => {
    // Rows as any node's entries about jobs are stored (the type need not be declared here).
    for (const [queue_id, n] of [
      ['q_a', 1],
      ['q_b', 2],
      ['q_a', 3],
      ['q_a', 4],
    ])
      await dataSource.manager.insert(JournalEntryEntity, {
        ts: new Date().toISOString(),
        origin_node_id: 'node-a',
        type: 'test.job_touched.v1',
        payload: JSON.stringify({ queue_id, n }),
      });
    expect((await sut.latestAbout('q_a', 2)).map((e) => e.payload.n)).toEqual([4, 3]);
    expect((await sut.latestAbout('q_b', 10)).map((e) => [e.type, e.payload.n])).toEqual([
      ['test.job_touched.v1', 2],
    ]);
    expect(await sut.latestAbout('q_never', 10)).toEqual([]);
  });

  it('runs afterCommit once the change is committed, before its events are published; never for one rolled back', async () => {
    const seen: string[] = [];
    const change = (id: string, fail: boolean) =>
      sut.record(async () => {
        if (fail) throw new Error('refused');
        return {
          result: id,
          events: [new ThingHappenedEvent(id, 'x')],
          afterCommit: () => seen.push(`${id}, ${published.length} events published`),
        };
      });
    await Promise.allSettled([change('a', false), change('b', true)]);
    expect(seen).toEqual(['a, 0 events published']);
    expect(published).toHaveLength(1);
    expect((await sut.list({ afterSeq: 0, limit: 10 })).items.map((e) => e.payload.thing_id)).toEqual(['a']);
  });

  it('runs the undo steps of a change that does not commit, and only those', async () => {
    const undone: string[] = [];
    const change = (id: string, outcome: 'ok' | 'throws' | 'undeclared') =>
      sut.record(async (tx) => {
        sut.onRollback(tx, () => undone.push(id));
        if (outcome === 'throws') throw new Error('refused');
        const event = outcome === 'ok' ? new ThingHappenedEvent(id, 'x') : new UndeclaredEvent(id);
        return { result: id, events: [event] };
      });
    // Grouped: the refused change rolls back to its savepoint alone.
    await Promise.allSettled([change('a', 'ok'), change('b', 'throws'), change('c', 'ok')]);
    expect(undone).toEqual(['b']);
    // Alone, a change whose entries cannot be written fails the whole transaction.
    await expect(change('d', 'undeclared')).rejects.toThrow(/not a journal entry type/);
    expect(undone).toEqual(['b', 'd']);
    await expect(change('e', 'ok')).resolves.toBe('e');
    expect(undone).toEqual(['b', 'd']);
    expect(() => sut.onRollback({} as import('@trainyard/database').Tx, () => undefined)).toThrow(
      /outside a journal record/,
    );
  });

  it('an after-commit step that throws is logged; the other changes still commit and answer', async () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const results = await Promise.all([
      sut.record(async () => ({
        result: 'a',
        events: [],
        afterCommit: () => {
          throw new Error('boom');
        },
      })),
      sut.record(async () => ({ result: 'b', events: [new ThingHappenedEvent('b', 'x')] })),
    ]);
    expect(results).toEqual(['a', 'b']);
    expect(published).toHaveLength(1);
    expect(error).toHaveBeenCalledWith(expect.stringContaining('an after-commit step failed: Error: boom'));
    error.mockRestore();
  });
});

describe(JournalReplayer.name, () => {
  it('refuses a rule set that leaves a declared type without a rule, or has two for one', () => {
    expect(() => new JournalReplayer([])).toThrow(/no replay rule for test.thing_happened.v1/);
    const rule = auditOnly(ThingHappenedEvent);
    expect(() => new JournalReplayer([rule, rule])).toThrow(/two replay rules for test.thing_happened.v1/);
  });

  it('applies entries in seq order with the rule of their type', async () => {
    const seen: string[] = [];
    const sut = new JournalReplayer([
      replayRule(ThingHappenedEvent, (_tx, e) => Promise.resolve(void seen.push(e.thing_id))),
    ]);
    const entry = (seq: number, thing_id: string) => ({
      seq,
      ts: '',
      origin_node_id: 'n',
      type: 'test.thing_happened.v1',
      payload: { thing_id, at: '' },
    });
    const tx = {} as Parameters<JournalReplayer['apply']>[0];
    expect(await sut.apply(tx, [entry(3, 'a'), entry(5, 'b')], 2)).toBe(5);
    expect(seen).toEqual(['a', 'b']);
    await expect(sut.apply(tx, [entry(2, 'c')], 2)).rejects.toThrow(/seq 2 comes after seq 2: out of order/);
  });
});
