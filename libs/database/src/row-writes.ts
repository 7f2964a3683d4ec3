import type { EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { Tx } from './database';

/** The INSERT statement of each entity per column set (the query runner caches its prepared form). */
const statementsByEntity = new WeakMap<EntityMetadata, Map<string, string>>();

/**
 * INSERTs one row of `entity` inside transaction `tx` and resolves with its rowid (the value of an
 * INTEGER PRIMARY KEY column such as the journal's `seq`).
 *
 * For the per-request write paths (a job per submit, a journal entry per change): TypeORM's
 * `insert`/`save` rebuild the SQL text from metadata on every call and then re-select generated
 * columns, which was most of the worker's CPU per durable submit. Here the SQL is built once per
 * column set and run through TypeORM's query runner, whose statement cache keeps it prepared;
 * values are converted by the driver exactly as TypeORM's own insert converts them
 * (`preparePersistentValue`). Properties of `row` that are `undefined` are left out, so those
 * columns take their defaults. Rejects with TypeORM's QueryFailedError (e.g. a UNIQUE violation).
 */
export async function insertRow<T extends ObjectLiteral>(
  tx: Tx,
  entity: EntityTarget<T>,
  row: Partial<T>,
): Promise<number> {
  const metadata = tx.connection.getMetadata(entity);
  const columns = metadata.columns.filter((c) => c.getEntityValue(row) !== undefined);
  const key = columns.map((c) => c.databaseName).join(',');
  let statements = statementsByEntity.get(metadata);
  if (!statements) statementsByEntity.set(metadata, (statements = new Map<string, string>()));
  let sql = statements.get(key);
  if (sql === undefined) {
    const names = columns.map((c) => `"${c.databaseName}"`).join(', ');
    sql = `INSERT INTO "${metadata.tableName}" (${names}) VALUES (${columns.map(() => '?').join(', ')})`;
    statements.set(key, sql);
  }
  const driver = tx.connection.driver;
  const values = columns.map((c) => driver.preparePersistentValue(c.getEntityValue(row), c) as unknown);
  return Number(await tx.query(sql, values));
}

/** The UPDATE statement of each entity per (SET columns, WHERE shape). */
const updatesByEntity = new WeakMap<EntityMetadata, Map<string, string>>();

/**
 * UPDATEs the rows of `entity` matching `where` inside transaction `tx` with `changes`, and resolves
 * with how many rows changed. Each `where` entry is `column = value`, or `column IN (values)` for an
 * array. Same reason and conversion as {@link insertRow}: the SQL is built once per shape and kept
 * prepared by TypeORM's query runner. `changes` properties that are `undefined` are left out.
 * Rejects with TypeORM's QueryFailedError.
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
  const conditions = Object.entries(where).map(([property, value]) => {
    const column = metadata.findColumnWithPropertyName(property);
    if (!column) throw new Error(`${metadata.tableName} has no column ${property}`);
    return {
      column,
      values: Array.isArray(value) ? (value as unknown[]) : [value],
      list: Array.isArray(value),
    };
  });
  const key = `${set.map((c) => c.databaseName).join(',')}|${conditions
    .map((w) => `${w.column.databaseName}${w.list ? `[${w.values.length}]` : ''}`)
    .join(',')}`;
  let statements = updatesByEntity.get(metadata);
  if (!statements) updatesByEntity.set(metadata, (statements = new Map<string, string>()));
  let sql = statements.get(key);
  if (sql === undefined) {
    const assignments = set.map((c) => `"${c.databaseName}" = ?`).join(', ');
    const tests = conditions.map(({ column, values, list }) =>
      list
        ? `"${column.databaseName}" IN (${values.map(() => '?').join(', ')})`
        : `"${column.databaseName}" = ?`,
    );
    sql = `UPDATE "${metadata.tableName}" SET ${assignments} WHERE ${tests.join(' AND ')}`;
    statements.set(key, sql);
  }
  const params = [
    ...set.map((c) => driver.preparePersistentValue(c.getEntityValue(changes), c) as unknown),
    ...conditions.flatMap(({ column, values }) =>
      values.map((v) => driver.preparePersistentValue(v, column) as unknown),
    ),
  ];
  if (!tx.queryRunner) throw new Error('updateRows runs inside a transaction');
  const result = await tx.queryRunner.query(sql, params, true);
  return result.affected ?? 0;
}
