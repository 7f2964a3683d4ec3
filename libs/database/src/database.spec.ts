import Sqlite from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntitySchema } from 'typeorm';
import { DomainError } from '@trainyard/core';
import { mountTmpfs, Tmpfs, tmpfsUnavailable } from '../../../test/support/tmpfs';
import { Database } from './database';
import { underSavepoint } from './savepoint';
import { createSqliteDataSource, openDatabase } from './sqlite-data-source';

const Note = new EntitySchema<{ id: number; body: string }>({
  name: 'note',
  columns: { id: { type: Number, primary: true, generated: true }, body: { type: String } },
});

const unavailable = tmpfsUnavailable();
if (unavailable) console.warn(`${Database.name} disk-full spec skipped: ${unavailable}`);
const itWithTmpfs = unavailable ? it.skip : it;

describe(Database.name, () => {
  let tmpfs: Tmpfs | null = null;
  afterEach(() => {
    tmpfs?.unmount();
    tmpfs = null;
  });

  const open = async (file: string) => {
    const dataSource = createSqliteDataSource({ file, entities: [Note], migrations: [] });
    await openDatabase(dataSource);
    await dataSource.query('CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    return { dataSource, sut: new Database(dataSource) };
  };
  const insert = (sut: Database, body: string) => sut.transaction((tx) => tx.save(Note, { body }));
  const bodiesSeenBy = (file: string) => {
    const other = new Sqlite(file, { readonly: true });
    try {
      return (other.prepare('SELECT body FROM note ORDER BY id').all() as Array<{ body: string }>).map((r) =>
        r.body.slice(0, 10),
      );
    } finally {
      other.close();
    }
  };

  itWithTmpfs(
    'refuses a write on a full disk with STATE_DIR_FULL, then commits the next one durably',
    async () => {
      tmpfs = mountTmpfs('1m');
      const file = join(tmpfs.dir, 'trainyard.db');
      const { dataSource, sut } = await open(file);
      await insert(sut, 'before');
      const filler = tmpfs.fill();

      // Big enough to need new pages in the WAL whatever it already holds.
      const refused = insert(sut, `full ${'x'.repeat(256 * 1024)}`);
      await expect(refused).rejects.toBeInstanceOf(DomainError);
      await expect(refused).rejects.toMatchObject({
        code: 'STATE_DIR_FULL',
        message: expect.stringContaining(tmpfs.dir),
      });
      await expect(insert(sut, 'still full '.repeat(30_000))).rejects.toMatchObject({
        code: 'STATE_DIR_FULL',
      });

      rmSync(filler);
      await insert(sut, 'after');
      // The connection is not stuck inside a transaction: another connection sees the commit...
      expect(bodiesSeenBy(file)).toEqual(['before', 'after']);
      await insert(sut, 'again');
      expect(bodiesSeenBy(file)).toEqual(['before', 'after', 'again']);
      // ...and so does a fresh open after this one is gone.
      await dataSource.destroy();
      const reopened = await open(file);
      expect(
        (await reopened.dataSource.query('SELECT body FROM note ORDER BY id')).map((r: any) => r.body),
      ).toEqual(['before', 'after', 'again']);
      await reopened.dataSource.destroy();
    },
  );

  it('keeps temporary data (statement journals, sorts) in memory, not in files created and deleted per write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trainyard-db-'));
    try {
      const { dataSource } = await open(join(dir, 'trainyard.db'));
      expect(await dataSource.query('PRAGMA temp_store')).toEqual([{ temp_store: 2 }]); // MEMORY
      await dataSource.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reopens the connection when a ROLLBACK fails, with the WAL autocheckpoint set at run time kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trainyard-db-'));
    const file = join(dir, 'trainyard.db');
    const { dataSource, sut } = await open(file);
    try {
      const broken = sut.connection;
      broken.pragma('wal_autocheckpoint = 10000'); // as WalCheckpointer sets it
      broken.exec('BEGIN'); // a transaction left open, whose ROLLBACK then fails
      const exec = broken.exec.bind(broken);
      broken.exec = (sql: string) => {
        if (sql === 'ROLLBACK') throw new Error('disk I/O error');
        return exec(sql);
      };
      await insert(sut, 'after');
      expect(sut.connection).not.toBe(broken);
      expect(sut.connection.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
      expect(bodiesSeenBy(file)).toEqual(['after']);
    } finally {
      await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('truncates the WAL once for any number of requests made while a reader holds it back, and again for a later one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trainyard-db-'));
    const file = join(dir, 'trainyard.db');
    const { dataSource, sut } = await open(file);
    const reader = new Sqlite(file, { readonly: true });
    try {
      let checkpoints = 0;
      const pragma = sut.connection.pragma.bind(sut.connection);
      sut.connection.pragma = (source: string, options?: Sqlite.PragmaOptions) => {
        if (source.startsWith('wal_checkpoint')) checkpoints++;
        return pragma(source, options);
      };
      await insert(sut, 'first');
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM note').get(); // holds its snapshot: the WAL cannot be reset
      await insert(sut, 'secret');
      // Before: each of these started its own loop, a checkpoint each per try (50 per 20 ms here).
      const requests = Array.from({ length: 50 }, () => sut.truncateWal(20, 50));
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(checkpoints).toBeGreaterThan(0);
      expect(checkpoints).toBeLessThan(15);
      expect(statSync(`${file}-wal`).size).toBeGreaterThan(0); // still held back
      reader.exec('COMMIT');
      expect(await Promise.all(requests)).toEqual(Array(50).fill(true));
      expect(statSync(`${file}-wal`).size).toBe(0);

      await insert(sut, 'later');
      expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
      expect(await sut.truncateWal(20, 50)).toBe(true);
      expect(statSync(`${file}-wal`).size).toBe(0);
    } finally {
      reader.close();
      await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('underSavepoint keeps the writes of a part that succeeds and rolls back one that throws, nested too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'savepoint-'));
    const file = join(dir, 'trainyard.db');
    const { dataSource, sut } = await open(file);
    try {
      const failures: string[] = [];
      const failed = (err: Error) => void failures.push(err.message);
      await sut.transaction(async (tx) => {
        await tx.save(Note, { body: 'outer' });
        await underSavepoint(tx, () => tx.save(Note, { body: 'kept' }), failed);
        const none = await underSavepoint(
          tx,
          async () => {
            await tx.save(Note, { body: 'undone' });
            await underSavepoint(tx, () => tx.save(Note, { body: 'inner, kept then undone' }), failed);
            throw new Error('part failed');
          },
          failed,
        );
        expect(none).toBeNull();
        await underSavepoint(
          tx,
          async () => {
            await underSavepoint(
              tx,
              async () => {
                await tx.save(Note, { body: 'inner undone' });
                throw new Error('inner failed');
              },
              failed,
            );
            await tx.save(Note, { body: 'after inner' });
          },
          failed,
        );
      });
      expect(failures).toEqual(['part failed', 'inner failed']);
      expect(bodiesSeenBy(file)).toEqual(['outer', 'kept', 'after inne']);
    } finally {
      await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
