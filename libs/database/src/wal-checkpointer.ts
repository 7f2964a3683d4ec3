import { Logger } from '@nestjs/common';
import type Sqlite from 'better-sqlite3';
import { Worker } from 'node:worker_threads';

/** How often the checkpointer copies what the WAL holds into the database file. */
export const CHECKPOINT_INTERVAL_MS = 250;

/**
 * With the checkpointer running, the writer's own automatic checkpoint is only a backstop for a WAL
 * it cannot keep up with (10,000 pages, ~40 MiB), not the every-1,000-pages default.
 */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000;
const DEFAULT_AUTOCHECKPOINT_PAGES = 1_000;

/*
 * The thread's code. Its own connection runs PASSIVE checkpoints, which never wait for (or block)
 * readers and writers; a busy or full database only makes one fail, and the next one tries again.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Sqlite = require(workerData.driver);
let db;
try {
  db = new Sqlite(workerData.file, { fileMustExist: true });
  db.pragma('synchronous = NORMAL');
} catch (err) {
  parentPort.postMessage({ cannotOpen: String((err && err.message) || err) });
  process.exit(1);
}
let failed = null;
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    failed = null;
  } catch (err) {
    if (failed !== err.message) parentPort.postMessage({ failed: (failed = err.message) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage({ ready: true });
`;

/**
 * Checkpoints the database's WAL from a worker thread with its own connection, so no commit of the
 * writer pays for one. SQLite's automatic checkpoint runs inside the commit that takes the WAL past
 * 1,000 pages and copies them all into the database file, fsync included: 25–33 ms of the API
 * worker's event loop on the bench VM, every few dozen jobs — the slowest submits and launches.
 * While the thread runs the writer's automatic checkpoint is only a backstop
 * (BACKSTOP_AUTOCHECKPOINT_PAGES); if the thread cannot start or dies, it is back at its default.
 */
export class WalCheckpointer {
  private readonly logger = new Logger('Database');
  private worker: Worker | null = null;

  /**
   * Starts checkpointing `file` every `intervalMs`; `writer` is the connection that writes it (its
   * automatic checkpoint is set by what the thread does). Resolves once the thread has its
   * connection, or has failed to (then the writer keeps its default).
   */
  start(file: string, writer: Sqlite.Database, intervalMs = CHECKPOINT_INTERVAL_MS): Promise<void> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, intervalMs, driver: require.resolve('better-sqlite3') },
    });
    this.worker = worker;
    const fallBack = (why: string) => {
      if (this.worker !== worker) return; // stopped on purpose
      this.worker = null;
      this.logger.warn(`WAL checkpoints are back in the commits that fill it: ${why}`);
      setAutocheckpoint(writer, DEFAULT_AUTOCHECKPOINT_PAGES);
    };
    return new Promise<void>((resolveStart) => {
      // Held until it answers: a process with nothing else to do yet (a script that builds the app)
      // would otherwise exit before the start resolves. Then never what keeps a process alive.
      const resolve = () => {
        worker.unref();
        resolveStart();
      };
      worker.on('message', (message: { ready?: true; failed?: string; cannotOpen?: string }) => {
        if (message.cannotOpen) {
          fallBack(`the checkpoint thread cannot open ${file}: ${message.cannotOpen}`);
          resolve();
        } else if (message.ready) {
          setAutocheckpoint(writer, BACKSTOP_AUTOCHECKPOINT_PAGES);
          resolve();
        } else if (message.failed) {
          this.logger.warn(`a WAL checkpoint failed (tried again in ${intervalMs} ms): ${message.failed}`);
        }
      });
      worker.on('error', (err: unknown) => {
        const message = (err as { message?: unknown } | null)?.message;
        fallBack(`the checkpoint thread failed: ${typeof message === 'string' ? message : String(err)}`);
        resolve();
      });
      worker.on('exit', (code) => {
        fallBack(`the checkpoint thread exited (${code})`);
        resolve();
      });
    });
  }

  /** Stops the thread and closes its connection (before the writer's, which then cleans up the WAL). */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('stop');
    await exited;
  }
}

/**
 * Copies the whole WAL into the database file and truncates the WAL to 0 bytes, on `db` (the writer's
 * connection, between its transactions) without waiting for any lock: true once done; false while a
 * transaction is open, a reader holds an older snapshot or another checkpoint runs (try again later).
 * For a change whose replaced page images must not stay readable in the `-wal` file (a redaction).
 */
export function truncateWal(db: Pick<Sqlite.Database, 'inTransaction' | 'pragma'>): boolean {
  if (db.inTransaction) return false;
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 0');
  try {
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    return result?.busy === 0;
  } catch {
    return false; // SQLITE_BUSY: the checkpoint thread's own checkpoint is running
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}

function setAutocheckpoint(writer: Sqlite.Database, pages: number): void {
  try {
    writer.pragma(`wal_autocheckpoint = ${pages}`);
  } catch {
    /* a closed connection: nothing to set */
  }
}
