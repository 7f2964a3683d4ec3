import Sqlite from 'better-sqlite3';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { DataSource, MixedList, EntitySchema } from 'typeorm';
import { tightenFileMode, touchPrivateFile } from '@trainyard/core';
import { sqliteCodeOf } from './storage-errors';

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
 * foreign keys are off by default in SQLite, so turn them on; temporary data stays in memory.
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
      // Statement journals (a savepoint per claimed job) and sort b-trees stay in memory: spilled,
      // each is a file created and deleted in the temp directory — several per job, and on an ext4
      // without a journal every recent delete slows the next file creates (the job logs' among them).
      db.pragma('temp_store = MEMORY');
      // Deleted and rewritten rows (a removed job's environment) are zeroed in the pages a write
      // rewrites anyway, not left readable in the file; FAST: no extra I/O for it.
      db.pragma('secure_delete = FAST');
    },
  });
}

/**
 * The database could not be opened at boot; `message` is one line for the user, recovery steps
 * included. `storage`: the file system refused it (full, I/O error, read-only, no permission), which
 * fixing the storage cures; otherwise the file itself is refused (corrupt, from a newer release).
 */
export class DatabaseOpenError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly corrupt: boolean,
    readonly storage = false,
  ) {
    super(message);
    this.name = 'DatabaseOpenError';
  }
}

/**
 * Opens the database and applies pending migrations, each in its own transaction. A corrupt file is
 * detected first, read-only, and refused with a DatabaseOpenError before anything could write to it
 * (WAL checkpoint, migrations); other SQLite failures at open become a DatabaseOpenError too.
 */
export async function openDatabase(dataSource: DataSource): Promise<string[]> {
  const file = String(dataSource.options.database);
  const problem = corruption(file);
  if (problem) {
    throw new DatabaseOpenError(
      file,
      `the database ${file} is corrupt (${problem}); it was left untouched. Restore it from a backup, or salvage it with \`sqlite3 ${file} .recover | sqlite3 ${file}.recovered\` and move that into its place, or move it (with its -wal and -shm files) aside to start with an empty database.`,
      true,
    );
  }
  try {
    await dataSource.initialize();
    const unknown = await unknownMigrations(dataSource);
    if (unknown.length) {
      await dataSource.destroy();
      throw new DatabaseOpenError(
        file,
        `the database ${file} was written by a newer Trainyard: it has ${unknown.length === 1 ? 'a migration' : 'migrations'} this version does not know (${unknown.join(', ')}); it was left untouched. Run that newer version, or restore a backup this version made.`,
        false,
      );
    }
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    tightenFileMode(`${file}-wal`);
    tightenFileMode(`${file}-shm`);
    return applied.map((m) => m.name);
  } catch (err) {
    const code = sqliteCodeOf(err);
    if (!code) throw err;
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw new DatabaseOpenError(
      file,
      `cannot open the database ${file}: ${(err as Error).message} (${code}). Check the state directory's free space and permissions.`,
      false,
      isStorageCode(code),
    );
  }
}

/** SQLite result codes of the file system refusing (as against the file's content being refused). */
function isStorageCode(code: string): boolean {
  return ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_PERM'].some((prefix) =>
    code.startsWith(prefix),
  );
}

/**
 * The migrations the database says were applied that this build does not have: a newer release
 * wrote it, and running on it would read and write a schema this code does not know (a NOT NULL
 * column it never fills, say). Empty for a new database.
 */
async function unknownMigrations(dataSource: DataSource): Promise<string[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const exists: unknown[] = await dataSource.query(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
    [table],
  );
  if (!exists.length) return [];
  const applied: Array<{ name: string }> = await dataSource.query(`SELECT name FROM "${table}"`);
  const known = new Set(dataSource.migrations.map((m) => m.name ?? m.constructor.name));
  return applied.map((m) => m.name).filter((name) => !known.has(name));
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Why `file` is not a usable SQLite database, or null (also for a missing or empty file: a new
 * database). Reads only: a read-only connection never checkpoints the WAL or rolls back a journal.
 */
function corruption(file: string): string | null {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return null;
  }
  if (size === 0) return null;
  const head = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.equals(SQLITE_HEADER)) return 'not an SQLite database: its header is wrong';
  let db: Sqlite.Database | null = null;
  try {
    db = new Sqlite(file, { readonly: true, fileMustExist: true });
    const rows = db.pragma('quick_check(1)') as Array<{ quick_check: string }>;
    const result = rows.map((r) => r.quick_check.replace(/\s+/g, ' ').replace(/^\*\*\* .* \*\*\* /, ''));
    return result[0] === 'ok' ? null : `quick_check: ${result.join('; ')}`;
  } catch (err) {
    const code = sqliteCodeOf(err);
    // Anything else (a lock, permissions) is not corruption: the normal open reports it.
    return code?.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' ? (err as Error).message : null;
  } finally {
    db?.close();
  }
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
