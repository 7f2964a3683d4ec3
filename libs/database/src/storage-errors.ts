import { dirname } from 'node:path';
import { DomainError } from '@trainyard/core';

/** SQLite's result code (`SQLITE_FULL`, `SQLITE_IOERR_WRITE`…) of a better-sqlite3 or TypeORM error, if any. */
export function sqliteCodeOf(err: unknown): string | null {
  if (!err || typeof err !== 'object') return null;
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  const code = e.driverError?.code ?? e.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/**
 * The answer for a write the database refused because of the state directory, not the request:
 * full disk → `STATE_DIR_FULL` (507), lock held elsewhere → `DATABASE_BUSY` (503), I/O or
 * read-only or corrupt storage → `STORAGE_ERROR` (503). null for anything else (a bug: stays a 500).
 * In every case nothing of the write was saved.
 */
export function storageErrorOf(err: unknown, databaseFile: string): DomainError | null {
  const code = sqliteCodeOf(err);
  if (!code) return null;
  const stateDir = dirname(databaseFile);
  // SHMSIZE: the WAL index (-shm) could not grow, which on a full filesystem is the same thing.
  if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_SHMSIZE') {
    return new DomainError(
      'STATE_DIR_FULL',
      `The state directory ${stateDir} is full: nothing was saved. Free space on its filesystem and retry.`,
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new DomainError(
      'DATABASE_BUSY',
      `The database ${databaseFile} is locked by another process: nothing was saved. Retry shortly.`,
    );
  }
  if (
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_CORRUPT') ||
    code === 'SQLITE_NOTADB'
  ) {
    return new DomainError(
      'STORAGE_ERROR',
      `The database ${databaseFile} could not be written (${code}): nothing was saved. Check the state directory ${stateDir}.`,
    );
  }
  return null;
}
