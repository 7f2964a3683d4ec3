import { DataSource, MixedList, EntitySchema } from 'typeorm';
import { tightenFileMode, touchPrivateFile } from '@trainyard/core';

export interface SqliteOptions {
  file: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
}

/**
 * The one way a DataSource is made (server, CLI, tests). WAL lets readers run beside the writer;
 * synchronous=NORMAL in WAL mode survives a process crash (SIGKILL) without an fsync per commit;
 * foreign keys are off by default in SQLite, so turn them on.
 */
export function createSqliteDataSource(options: SqliteOptions): DataSource {
  // Create the file 0600 first: SQLite gives the -wal and -shm files the database file's mode.
  touchPrivateFile(options.file);
  return new DataSource({
    type: 'better-sqlite3',
    database: options.file,
    entities: options.entities,
    migrations: options.migrations,
    synchronize: false,
    migrationsRun: false,
    enableWAL: true,
    timeout: 5000,
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = NORMAL');
    },
  });
}

/** Opens the database and applies pending migrations, each in its own transaction. */
export async function openDatabase(dataSource: DataSource): Promise<string[]> {
  await dataSource.initialize();
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  const file = String(dataSource.options.database);
  tightenFileMode(`${file}-wal`);
  tightenFileMode(`${file}-shm`);
  return applied.map((m) => m.name);
}

/** SQL the entities would need beyond what the migrations created: empty when they agree. */
export async function schemaDrift(dataSource: DataSource): Promise<string[]> {
  const log = await dataSource.driver.createSchemaBuilder().log();
  return log.upQueries.map((q) => q.query);
}

export async function integrityCheck(dataSource: DataSource): Promise<string> {
  const rows: Array<{ integrity_check: string }> = await dataSource.query('PRAGMA integrity_check');
  return rows.map((r) => r.integrity_check).join('; ');
}
