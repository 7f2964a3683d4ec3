import type { DataSource } from 'typeorm';
import { createSqliteDataSource } from '@trainyard/database';
import { MIGRATIONS } from '../../migrations';

/**
 * A real SQLite file at `file` as a server before `migration` left it: every migration before that
 * one run, no entities. Seed it with queries, destroy it, then {@link migrateToCurrent}.
 */
export async function databaseBefore(
  file: string,
  migration: (typeof MIGRATIONS)[number],
): Promise<DataSource> {
  const old = createSqliteDataSource({
    file,
    entities: [],
    migrations: MIGRATIONS.slice(0, MIGRATIONS.indexOf(migration)),
  });
  await old.initialize();
  await old.runMigrations();
  return old;
}

/** The database at `file` with every migration run, as the current server opens it. */
export async function migrateToCurrent(file: string): Promise<DataSource> {
  const current = createSqliteDataSource({ file, entities: [], migrations: MIGRATIONS });
  await current.initialize();
  await current.runMigrations();
  return current;
}
