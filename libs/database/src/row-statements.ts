import type Sqlite from 'better-sqlite3';
import { QueryFailedError } from 'typeorm';
import type { Driver, EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { Tx } from './database';

/*
 * Cheap statements for the per-request paths (a submit, a job's state changes, a job by id):
 * TypeORM's query builder rebuilds the SQL text from metadata on every call (and `insert`/`save`
 * re-select generated columns), which was most of the worker's CPU per durable submit. These build
 * the SQL once per entity and shape and run it through TypeORM's query runner, whose statement
 * cache keeps it prepared; values are converted by the driver exactly as TypeORM's own queries
 * convert them (`preparePersistentValue`, `prepareHydratedValue`). All reject with TypeORM's
 * QueryFailedError (e.g. a UNIQUE violation).
 */

/** The SQL of each entity per statement shape. */
const statementsByEntity = new WeakMap<EntityMetadata, Map<string, string>>();

function cachedSql(metadata: EntityMetadata, key: string, build: () => string): string {
  let statements = statementsByEntity.get(metadata);
  if (!statements) statementsByEntity.set(metadata, (statements = new Map<string, string>()));
  let sql = statements.get(key);
  if (sql === undefined) statements.set(key, (sql = build()));
  return sql;
}

function columnOf(metadata: EntityMetadata, property: string) {
  const column = metadata.findColumnWithPropertyName(property);
  if (!column) throw new Error(`${metadata.tableName} has no column ${property}`);
  return column;
}

/**
 * INSERTs one row of `entity` inside transaction `tx`; resolves with its rowid (the value of an
 * INTEGER PRIMARY KEY column such as the journal's `seq`). Properties of `row` that are `undefined`
 * are left out, so those columns take their defaults.
 */
export async function insertRow<T extends ObjectLiteral>(
  tx: Tx,
  entity: EntityTarget<T>,
  row: Partial<T>,
): Promise<number> {
  const metadata = tx.connection.getMetadata(entity);
  const columns = metadata.columns.filter((c) => c.getEntityValue(row) !== undefined);
  const names = columns.map((c) => `"${c.databaseName}"`);
  const sql = cachedSql(
    metadata,
    `insert ${names.join(',')}`,
    () =>
      `INSERT INTO "${metadata.tableName}" (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
  );
  const driver = tx.connection.driver;
  const values = columns.map((c) => driver.preparePersistentValue(c.getEntityValue(row), c) as unknown);
  return Number(await tx.query(sql, values));
}

/**
 * UPDATEs the rows of `entity` matching `where` inside transaction `tx` with `changes`; resolves with
 * how many rows changed. Each `where` entry is `column = value`, or `column IN (values)` for an
 * array. `changes` properties that are `undefined` are left out (at least one must remain).
 */
export async function updateRows<T extends ObjectLiteral>(
  tx: Tx,
  entity: EntityTarget<T>,
  changes: Partial<T>,
  where: { [K in keyof T]?: T[K] | readonly T[K][] },
): Promise<number> {
  const metadata = tx.connection.getMetadata(entity);
  const driver = tx.connection.driver;
  const set = metadata.columns.filter((c) => c.getEntityValue(changes) !== undefined);
  if (set.length === 0) throw new Error(`updateRows on ${metadata.tableName}: no column to change`);
  const tests = Object.entries(where).map(([property, value]) => {
    const list = Array.isArray(value);
    return { column: columnOf(metadata, property), list, values: list ? (value as unknown[]) : [value] };
  });
  const shape = tests.map((t) => `${t.column.databaseName}${t.list ? `[${t.values.length}]` : ''}`);
  const sql = cachedSql(
    metadata,
    `update ${set.map((c) => c.databaseName).join(',')}|${shape.join(',')}`,
    () => {
      const assignments = set.map((c) => `"${c.databaseName}" = ?`).join(', ');
      const conditions = tests.map(({ column, list, values }) =>
        list
          ? `"${column.databaseName}" IN (${values.map(() => '?').join(', ')})`
          : `"${column.databaseName}" = ?`,
      );
      return `UPDATE "${metadata.tableName}" SET ${assignments} WHERE ${conditions.join(' AND ')}`;
    },
  );
  const params = [
    ...set.map((c) => driver.preparePersistentValue(c.getEntityValue(changes), c) as unknown),
    ...tests.flatMap(({ column, values }) =>
      values.map((v) => driver.preparePersistentValue(v, column) as unknown),
    ),
  ];
  if (!tx.queryRunner) throw new Error('updateRows runs inside a transaction');
  const result = await tx.queryRunner.query(sql, params, true);
  return result.affected ?? 0;
}

/**
 * The rows of `entity` where every `where` column equals its value (not null: `= NULL` matches
 * nothing), hydrated as TypeORM's `find` hydrates them, read through `manager` (a transaction, or
 * the data source's manager).
 */
export async function selectRows<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  where: { [K in keyof T]?: T[K] },
): Promise<T[]> {
  const metadata = manager.connection.getMetadata(entity);
  const driver = manager.connection.driver;
  const columns = Object.keys(where).map((property) => columnOf(metadata, property));
  const sql = cachedSql(
    metadata,
    `select ${columns.map((c) => c.databaseName).join(',')}`,
    () =>
      `SELECT * FROM "${metadata.tableName}" WHERE ${columns.map((c) => `"${c.databaseName}" = ?`).join(' AND ')}`,
  );
  const params = columns.map((c) => driver.preparePersistentValue(c.getEntityValue(where), c) as unknown);
  return queryRows(manager, entity, sql, params);
}

/** A hand-written read, prepared in raw mode (rows as arrays), with the hydrator of its result shape. */
interface PreparedRead {
  metadata: EntityMetadata;
  statement: Sqlite.Statement;
  hydrate: (values: unknown[]) => ObjectLiteral;
}
/**
 * Per connection (one replaced after a failed COMMIT gets its own), the most recently used reads,
 * at most READ_CACHE_SIZE (the SQL varies with a request's filters, e.g. its number of search words):
 * an LRU, as TypeORM's own statement cache is.
 */
const preparedReads = new WeakMap<object, Map<string, PreparedRead>>();
const READ_CACHE_SIZE = 100;

/** Column types whose stored value is the entity's value as is (no driver conversion). */
const STORED_AS_IS = new Set<unknown>(['text', 'varchar', 'integer', 'int']);

function prepareRead(connection: Sqlite.Database, metadata: EntityMetadata, driver: Driver, sql: string) {
  let reads = preparedReads.get(connection);
  if (!reads) preparedReads.set(connection, (reads = new Map<string, PreparedRead>()));
  let read = reads.get(sql);
  if (read) reads.delete(sql); // re-inserted below: the newest last
  if (!read || read.metadata !== metadata) {
    const statement = connection.prepare(sql).raw(true);
    const columns = statement.columns().map((c) => metadata.findColumnWithDatabaseName(c.name));
    const asIs = columns.map((c) => !!c && STORED_AS_IS.has(c.type) && !c.transformer && !c.embeddedMetadata);
    const hydrate = (values: unknown[]) => {
      const row = metadata.create() as ObjectLiteral;
      for (let i = 0; i < columns.length; i++) {
        const column = columns[i];
        if (!column) continue;
        if (asIs[i]) row[column.propertyName] = values[i];
        else column.setEntityValue(row, driver.prepareHydratedValue(values[i], column));
      }
      return row;
    };
    read = { metadata, statement, hydrate };
  }
  reads.set(sql, read);
  if (reads.size > READ_CACHE_SIZE) reads.delete(reads.keys().next().value as string);
  return read;
}

/**
 * The rows `sql` reads (columns of `entity`'s table: `SELECT *` or `SELECT j.*`), hydrated as
 * TypeORM's `find` hydrates them. For hand-written reads on hot paths (a job by id, a page of the
 * job list): no query builder, no entity transformer, and rows read as arrays (better-sqlite3 builds
 * an object per row at about twice the cost). Runs on the connection itself, synchronously, so inside
 * a transaction it sees that transaction's writes, as TypeORM's queries do. Rejects with TypeORM's
 * QueryFailedError.
 */
export async function queryRows<T extends ObjectLiteral, Extra extends string = never>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  sql: string,
  params: unknown[],
  /** Result columns that are not the entity's (e.g. a computed sort key), kept on each row as read. */
  extra: readonly Extra[] = [],
): Promise<Array<T & Record<Extra, unknown>>> {
  const metadata = manager.connection.getMetadata(entity);
  const driver = manager.connection.driver;
  const connection = (driver as unknown as { databaseConnection: Sqlite.Database }).databaseConnection;
  let read: PreparedRead;
  let values: unknown[][];
  try {
    read = prepareRead(connection, metadata, driver, sql);
    values = read.statement.all(...params) as unknown[][];
  } catch (err) {
    throw new QueryFailedError(sql, params, err as Error);
  }
  const names = extra.length ? read.statement.columns().map((c) => c.name) : [];
  const kept = extra.map((name) => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`queryRows: no column ${name} in ${sql}`);
    return [name, i] as const;
  });
  return values.map((row) => {
    const hydrated = read.hydrate(row) as T & Record<Extra, unknown>;
    for (const [name, i] of kept) (hydrated as Record<string, unknown>)[name] = row[i];
    return hydrated;
  });
}
