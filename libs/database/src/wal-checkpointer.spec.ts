import Sqlite from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, truncateWal, WalCheckpointer } from './wal-checkpointer';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(WalCheckpointer.name, () => {
  let dir: string;
  let writer: Sqlite.Database;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wal-checkpointer-'));
    file = join(dir, 'db.sqlite');
    writer = new Sqlite(file);
    writer.pragma('journal_mode = WAL');
    writer.pragma('synchronous = NORMAL');
    writer.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
  });
  afterEach(() => {
    if (writer.open) writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies the WAL into the database from its own thread, so the writer’s commits do not, and the WAL stays small', async () => {
    const checkpointer = new WalCheckpointer();
    await checkpointer.start(file, writer, 20);
    try {
      expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_AUTOCHECKPOINT_PAGES);
      // ~16 MiB in 40 commits: 4,000 pages, fewer than the writer's backstop ever checkpoints.
      const insert = writer.prepare('INSERT INTO t (v) VALUES (?)');
      const page = Buffer.alloc(4000, 1);
      for (let commit = 0; commit < 40; commit++) {
        writer.transaction(() => {
          for (let row = 0; row < 100; row++) insert.run(page);
        })();
        await sleep(25);
      }
      await sleep(200);
      expect(statSync(file).size).toBeGreaterThan(15 * MiB); // the pages reached the database file
      expect(statSync(`${file}-wal`).size).toBeLessThan(8 * MiB); // and the WAL started over
    } finally {
      await checkpointer.stop();
    }
    writer.close(); // the last connection: it removes the WAL
    expect(() => statSync(`${file}-wal`)).toThrow(/ENOENT/);
  });

  it('leaves the writer its own automatic checkpoints when the thread cannot open the database', async () => {
    writer.pragma('wal_autocheckpoint = 0');
    await new WalCheckpointer().start(join(dir, 'missing.sqlite'), writer, 20);
    expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  describe(truncateWal.name, () => {
    it('empties the WAL once no transaction or older snapshot holds it, never waiting for a lock', () => {
      writer.prepare('INSERT INTO t (v) VALUES (?)').run(Buffer.from('secret'));
      expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
      const reader = new Sqlite(file);
      try {
        reader.exec('BEGIN');
        reader.prepare('SELECT count(*) FROM t').get(); // holds its snapshot
        writer.prepare('INSERT INTO t (v) VALUES (?)').run(Buffer.from('later'));
        const started = Date.now();
        expect(truncateWal(writer)).toBe(false);
        expect(Date.now() - started).toBeLessThan(1000); // not the connection's 5 s busy timeout
        reader.exec('COMMIT');
        writer.exec('BEGIN');
        expect(truncateWal(writer)).toBe(false); // its own transaction is open
        writer.exec('COMMIT');
        expect(truncateWal(writer)).toBe(true);
        expect(statSync(`${file}-wal`).size).toBe(0);
        expect(writer.pragma('busy_timeout', { simple: true })).toBe(5000); // put back
      } finally {
        reader.close();
      }
    });
  });
});
