import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, EntitySchema, QueryFailedError } from 'typeorm';
import { insertRow, queryRows, selectRows, updateRows } from './row-statements';
import { createSqliteDataSource, openDatabase } from './sqlite-data-source';

interface Row {
  id: number;
  name: string;
  done: boolean;
  size: number | null;
  note: string;
}
const Rows = new EntitySchema<Row>({
  name: 'row',
  columns: {
    id: { type: Number, primary: true, generated: true },
    name: { type: String, unique: true },
    done: { type: Boolean },
    size: { type: Number, nullable: true },
    note: { type: String, default: 'none' },
  },
});

describe(insertRow.name, () => {
  let dir: string;
  let dataSource: DataSource;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trainyard-insert-row-'));
    dataSource = createSqliteDataSource({ file: join(dir, 'db.sqlite'), entities: [Rows], migrations: [] });
    await openDatabase(dataSource);
    await dataSource.query(
      "CREATE TABLE row (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, done BOOLEAN NOT NULL, size INTEGER, note TEXT NOT NULL DEFAULT 'none')",
    );
  });
  afterEach(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the row as TypeORM reads it back, resolves with its rowid, and leaves out undefined columns', async () => {
    const first = await dataSource.transaction((tx) =>
      insertRow(tx, Rows, { name: 'a', done: true, size: null }),
    );
    const second = await dataSource.transaction((tx) =>
      insertRow(tx, Rows, { name: 'b', done: false, size: 3, note: 'set' }),
    );
    expect([first, second]).toEqual([1, 2]);
    expect(await dataSource.manager.find(Rows, { order: { id: 'ASC' } })).toEqual([
      { id: 1, name: 'a', done: true, size: null, note: 'none' },
      { id: 2, name: 'b', done: false, size: 3, note: 'set' },
    ]);
  });

  it('rejects a constraint violation, and the transaction writes nothing', async () => {
    const twice = dataSource.transaction(async (tx) => {
      await insertRow(tx, Rows, { name: 'a', done: true });
      await insertRow(tx, Rows, { name: 'a', done: false });
    });
    await expect(twice).rejects.toThrow(/UNIQUE constraint failed: row.name/);
    expect(await dataSource.manager.count(Rows)).toBe(0);
  });
});

describe(updateRows.name, () => {
  let dir: string;
  let dataSource: DataSource;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trainyard-update-rows-'));
    dataSource = createSqliteDataSource({ file: join(dir, 'db.sqlite'), entities: [Rows], migrations: [] });
    await openDatabase(dataSource);
    await dataSource.query(
      "CREATE TABLE row (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, done BOOLEAN NOT NULL, size INTEGER, note TEXT NOT NULL DEFAULT 'none')",
    );
    await dataSource.transaction(async (tx) => {
      for (const name of ['a', 'b', 'c']) await insertRow(tx, Rows, { name, done: false, size: 1 });
    });
  });
  afterEach(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => dataSource.manager.find(Rows, { order: { id: 'ASC' } });

  it('changes only the matching rows (= and IN), says how many, and sets NULL and booleans', async () => {
    const changed = await dataSource.transaction((tx) =>
      updateRows(tx, Rows, { done: true, size: null }, { name: ['a', 'c'], done: false }),
    );
    expect(changed).toBe(2);
    expect((await rows()).map((r) => [r.name, r.done, r.size])).toEqual([
      ['a', true, null],
      ['b', false, 1],
      ['c', true, null],
    ]);
    // The same shape again (its cached statement): nothing matches any more.
    expect(
      await dataSource.transaction((tx) =>
        updateRows(tx, Rows, { size: 2 }, { name: ['a', 'c'], done: false }),
      ),
    ).toBe(0);
  });

  it('refuses an unknown column and a change of nothing', async () => {
    await expect(
      dataSource.transaction((tx) => updateRows(tx, Rows, { size: 2 }, { nope: 1 } as never)),
    ).rejects.toThrow(/row has no column nope/);
    await expect(dataSource.transaction((tx) => updateRows(tx, Rows, {}, { name: 'a' }))).rejects.toThrow(
      /no column to change/,
    );
  });
});

describe(selectRows.name, () => {
  let dir: string;
  let dataSource: DataSource;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trainyard-select-rows-'));
    dataSource = createSqliteDataSource({ file: join(dir, 'db.sqlite'), entities: [Rows], migrations: [] });
    await openDatabase(dataSource);
    await dataSource.query(
      "CREATE TABLE row (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, done BOOLEAN NOT NULL, size INTEGER, note TEXT NOT NULL DEFAULT 'none')",
    );
    await dataSource.transaction(async (tx) => {
      await insertRow(tx, Rows, { name: 'a', done: true, size: null });
      await insertRow(tx, Rows, { name: 'b', done: false, size: 3 });
    });
  });
  afterEach(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns the matching rows exactly as TypeORM find does (booleans, nulls, defaults)', async () => {
    for (const where of [{ name: 'a' }, { name: 'b', done: false }, { name: 'b', done: true }, { name: 'z' }])
      expect(await selectRows(dataSource.manager, Rows, where)).toEqual(
        await dataSource.manager.findBy(Rows, where),
      );
    expect(await selectRows(dataSource.manager, Rows, { name: 'a' })).toEqual([
      { id: 1, name: 'a', done: true, size: null, note: 'none' },
    ]);
  });

  it('queryRows: any read of the table, hydrated as find does, seeing its own transaction, rejecting as TypeORM does', async () => {
    const sql = 'SELECT r.* FROM row r WHERE r.size IS NULL OR r.size > ? ORDER BY r.id DESC';
    expect(await queryRows(dataSource.manager, Rows, sql, [0])).toEqual(
      await dataSource.manager.find(Rows, { order: { id: 'DESC' } }),
    );
    // Columns in another order: each still lands on its property.
    expect(
      await queryRows(
        dataSource.manager,
        Rows,
        'SELECT note, done, id, size, name FROM row WHERE id = ?',
        [1],
      ),
    ).toEqual([{ id: 1, name: 'a', done: true, size: null, note: 'none' }]);
    await dataSource.transaction(async (tx) => {
      await insertRow(tx, Rows, { name: 'c', done: false, size: 5 });
      expect((await queryRows(tx, Rows, sql, [4])).map((r) => r.name)).toEqual(['c', 'a']);
    });
    await expect(queryRows(dataSource.manager, Rows, 'SELECT * FROM nope', [])).rejects.toThrow(
      QueryFailedError,
    );
  });

  it('queryRows keeps the computed columns it is asked for beside the entity, and only those', async () => {
    const rows = await queryRows(
      dataSource.manager,
      Rows,
      'SELECT r.*, length(r.name) * 10 AS width, 1 AS other FROM row r WHERE r.id = ?',
      [1],
      ['width'],
    );
    expect(rows).toEqual([{ id: 1, name: 'a', done: true, size: null, note: 'none', width: 10 }]);
    await expect(queryRows(dataSource.manager, Rows, 'SELECT * FROM row', [], ['width'])).rejects.toThrow(
      'no column width',
    );
  });
});
