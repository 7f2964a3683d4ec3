import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, EntitySchema } from 'typeorm';
import { insertRow } from './insert-row';
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
