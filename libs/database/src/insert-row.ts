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
