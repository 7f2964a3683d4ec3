import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTtyGeneration, ttyBasePath, ttyGenerationOf } from './tty-base';

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
});
