import { Inject, Injectable, Logger } from '@nestjs/common';
import type Sqlite from 'better-sqlite3';
import { DataSource, EntityManager } from 'typeorm';
import { storageErrorOf } from './storage-errors';
import { truncateWal } from './wal-checkpointer';

export const DATA_SOURCE = Symbol('DATA_SOURCE');

/** A write transaction's handle; repositories take it so a state change and its journal entry commit together. */
export type Tx = EntityManager;

/** The parts of TypeORM's better-sqlite3 driver that recovery needs (public fields, untyped upstream). */
interface SqliteDriver {
  databaseConnection: Pick<Sqlite.Database, 'inTransaction' | 'exec' | 'pragma'>;
  queryRunner?: { isTransactionActive: boolean };
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * better-sqlite3 is one connection, and TypeORM cannot interleave two transactions on it, so write
 * transactions are queued here one after another (SQLite serializes writers anyway).
 *
 * A write is either committed or refused: when a transaction fails (disk full, lock held elsewhere,
 * I/O error) the connection is put back to "no transaction" before the next write, and storage
 * failures become `STATE_DIR_FULL` / `DATABASE_BUSY` / `STORAGE_ERROR` domain errors.
 */
@Injectable()
export class Database {
  private readonly logger = new Logger('Database');
  private tail: Promise<unknown> = Promise.resolve();
  /** Why the last write was refused by storage (disk full, locked, I/O), and when; null once one commits. */
  private refused: { message: string; at: string } | null = null;
  private walTruncation: Promise<boolean> | null = null;

  constructor(@Inject(DATA_SOURCE) readonly dataSource: DataSource) {}

  /** The storage fault that refused the last write (null when the last one committed): for health. */
  get storageProblem(): { message: string; at: string } | null {
    return this.refused;
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /**
   * The one better-sqlite3 connection under TypeORM, for hot paths where TypeORM's per-row cost
   * matters (bulk telemetry inserts and scans). It may be replaced after a failed COMMIT (see
   * `recover`): re-prepare statements when it changes. Writes through it belong inside `transaction`.
   */
  get connection(): Sqlite.Database {
    return this.driver.databaseConnection as unknown as Sqlite.Database;
  }

  /**
   * Runs `work` in a write transaction, after every earlier one. Rejects with a DomainError
   * (`STATE_DIR_FULL` 507, `DATABASE_BUSY` 503, `STORAGE_ERROR` 503) when storage refused the write,
   * or with `work`'s own error; in both cases nothing of it was saved.
   */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const run = this.tail.then(() => this.runTransaction(work));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * After a change whose replaced page images must not stay readable in the `-wal` file (a redacted
   * secret: `secure_delete` zeroes the database file's freed space, not the WAL's old frames): copies
   * the WAL into the database file and truncates it, between transactions, never waiting for a lock —
   * tried every 250 ms while a transaction is open or a reader holds an older snapshot, for up to 10 s.
   * One truncation runs at a time: a request made while one waits shares it (its next try comes after
   * that request's commit, so it covers it). Resolves true once truncated; false when it gave up
   * (logged: the next truncation clears it).
   */
  truncateWal(retryMs = 250, attempts = 40): Promise<boolean> {
    return (this.walTruncation ??= this.truncateWalWhenFree(retryMs, attempts));
  }

  private async truncateWalWhenFree(retryMs: number, attempts: number): Promise<boolean> {
    try {
      for (let attempt = 0; attempt < attempts; attempt++) {
        // Always awaited first, even before the first try: `walTruncation` is set before this can end.
        await new Promise((resolve) => setTimeout(resolve, attempt === 0 ? 0 : retryMs));
        try {
          if (truncateWal(this.connection)) return true;
        } catch (err) {
          this.logger.warn(`cannot truncate the WAL: ${(err as Error).message}`);
          return false;
        }
      }
      this.logger.warn(
        `the WAL could not be truncated within ${(retryMs * attempts) / 1000} s (always busy)`,
      );
      return false;
    } finally {
      this.walTruncation = null; // synchronously with the last try: a later request starts a new one
    }
  }

  private async runTransaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const { databaseConnection, queryRunner } = this.driver;
    if (databaseConnection.inTransaction || queryRunner?.isTransactionActive)
      await this.recover('a transaction was left open');
    try {
      const result = await this.dataSource.transaction((tx) => work(tx));
      this.refused = null;
      return result;
    } catch (err) {
      await this.recover(null);
      const storage = storageErrorOf(err, String(this.dataSource.options.database));
      if (storage) this.refused = { message: storage.message, at: new Date().toISOString() };
      throw storage ?? err;
    }
  }

  private get driver(): SqliteDriver {
    return this.dataSource.driver as unknown as SqliteDriver;
  }

  /**
   * After a failed COMMIT (SQLITE_FULL, SQLITE_BUSY…) SQLite may or may not have rolled back, and
   * TypeORM's one shared query runner still believes a transaction is open, so the next write would
   * become a SAVEPOINT inside a transaction nobody commits (acknowledged, then lost). Roll back what
   * SQLite still holds and drop TypeORM's runner (the next query makes a fresh one); if even the
   * ROLLBACK fails, reopen the connection, which discards the transaction. (After an ordinary
   * failure, e.g. a rejected CAS, both are already clean and the runner keeps its statement cache.)
   */
  private async recover(why: string | null): Promise<void> {
    const driver = this.driver;
    if (why) this.logger.warn(`${why}; rolling it back before the next write`);
    try {
      if (driver.databaseConnection.inTransaction) driver.databaseConnection.exec('ROLLBACK');
      if (driver.queryRunner?.isTransactionActive) driver.queryRunner = undefined;
    } catch (err) {
      this.logger.warn(`ROLLBACK failed (${(err as Error).message}); reopening the database`);
      // Set at run time (WalCheckpointer), not by prepareDatabase: carried over to the new connection.
      const autocheckpoint = readPragma(driver.databaseConnection, 'wal_autocheckpoint');
      try {
        await driver.disconnect();
      } finally {
        await driver.connect();
        if (autocheckpoint !== null)
          driver.databaseConnection.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
      }
    }
  }
}

/** A numeric pragma's value, or null when the connection cannot say (closed, broken). */
function readPragma(connection: Pick<Sqlite.Database, 'pragma'>, name: string): number | null {
  try {
    const value: unknown = connection.pragma(name, { simple: true });
    return typeof value === 'number' ? value : null;
  } catch {
    return null;
  }
}
