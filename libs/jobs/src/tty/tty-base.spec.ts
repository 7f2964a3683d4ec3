import { mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findTtyGeneration,
  generationOfOpened,
  readTtyGeneration,
  ttyBasePath,
  ttyGenerationOf,
} from './tty-base';
import { openTtyLog } from './tty-tail';

describe('log generations (the sidecar of a capped log)', () => {
  let dir: string;
  let log: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tty-base-'));
    log = join(dir, 'q_1.tty');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a log that was never capped (no sidecar) starts at logical offset 0', async () => {
    expect(await findTtyGeneration(log, 42n)).toEqual({ base: 0, first: 0 });
  });

  it('finds a listed generation by inode', async () => {
    writeFileSync(ttyBasePath(log), '41 1000 1070\n42 2000 2070\n');
    expect(await findTtyGeneration(log, 42n)).toEqual({ base: 2000, first: 2070 });
  });

  it('a generation the sidecar no longer lists is unknown (null), not the original', async () => {
    // Replaced twice since it was opened: reading it as base 0 would misplace every offset.
    writeFileSync(ttyBasePath(log), '43 3000 3070\n44 4000 4070\n');
    expect(await findTtyGeneration(log, 42n)).toBeNull();
    expect(await ttyGenerationOf(log, 42n)).toEqual({ base: 0, first: 0 }); // the old answer, for other readers
  });

  /** Replaces the log as the monitor does: the sidecar's line first, then the rename. */
  function replaceLog(base: number, first: number, keep: string[]): void {
    const next = `${log}.tmp`;
    writeFileSync(next, `marker ${base}\n`);
    const lines = [...keep, `${statSync(next).ino} ${base} ${first}`];
    writeFileSync(ttyBasePath(log), `${lines.slice(-2).join('\n')}\n`);
    renameSync(next, log);
  }

  it('an opened file the sidecar does not list is the original while the path names it, else unknown (reopen)', async () => {
    writeFileSync(log, 'original\n');
    const original = await open(log, 'r');
    try {
      expect(await generationOfOpened(log, original)).toEqual({ base: 0, first: 0 });
      // The first replacement's line is written before its rename: meanwhile the path is still the original.
      const next = `${log}.tmp`;
      writeFileSync(next, 'marker\n');
      writeFileSync(ttyBasePath(log), `${statSync(next).ino} 100 120\n`);
      expect(await generationOfOpened(log, original)).toEqual({ base: 0, first: 0 });
      renameSync(next, log);
      const second = `${statSync(log).ino} 100 120`;
      replaceLog(200, 220, [second]);
      // Replaced twice since it was opened: its offsets are not known (before: taken for base 0).
      expect(await generationOfOpened(log, original)).toBeNull();
      // Opening the path again finds the newest generation, remembered with the handle.
      const reopened = await openTtyLog(log);
      try {
        expect(await readTtyGeneration(log, reopened)).toEqual({ base: 200, first: 220 });
      } finally {
        await reopened.close();
      }
    } finally {
      await original.close();
    }
  });
});
