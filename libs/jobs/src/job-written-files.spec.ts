import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrainerEndpoint, TRAINER_ENDPOINT_FILE } from './control/trainer-control';
import {
  NotRegularFileError,
  openRegularFile,
  readRegularFile,
  readRegularFileSync,
} from './job-written-files';
import { findTtyGeneration, ttyBasePath } from './tty/tty-base';

/** What a job can put where the server reads its files: a FIFO must never block the server. */
describe('files a job can replace', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'job-written-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = (name: string) => {
    const path = join(dir, name);
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    return path;
  };

  it('reads a regular file, and refuses a FIFO at once instead of waiting for a writer', async () => {
    writeFileSync(join(dir, 'plain'), 'text');
    expect(readRegularFileSync(join(dir, 'plain'))).toBe('text');
    await (await openRegularFile(join(dir, 'plain'))).close();
    const path = fifo('pipe');
    // Before (plain readFileSync / open): blocked until a writer came — the event loop, or a libuv thread.
    expect(() => readRegularFileSync(path)).toThrow(NotRegularFileError);
    await expect(openRegularFile(path)).rejects.toBeInstanceOf(NotRegularFileError);
    await expect(readRegularFile(path)).rejects.toBeInstanceOf(NotRegularFileError);
    expect(await readRegularFile(join(dir, 'plain'))).toBe('text');
    expect(() => readRegularFileSync('/dev/zero')).toThrow(NotRegularFileError);
  });

  it("takes a trainer's endpoint that is a FIFO, or names a FIFO as its token file, for no endpoint / no token", () => {
    fifo(TRAINER_ENDPOINT_FILE);
    expect(readTrainerEndpoint(dir)).toBeNull();
    rmSync(join(dir, TRAINER_ENDPOINT_FILE));
    const token = fifo('token');
    writeFileSync(
      join(dir, TRAINER_ENDPOINT_FILE),
      JSON.stringify({ host: '127.0.0.1', port: 9, token_file: token }),
    );
    expect(readTrainerEndpoint(dir)).toEqual({ host: '127.0.0.1', port: 9, token: null });
  });

  it("takes a log's offsets sidecar that is a FIFO for none (the log's own offsets), at once", async () => {
    const log = join(dir, 'q.tty');
    writeFileSync(log, 'output');
    fifo(ttyBasePath(log).slice(dir.length + 1));
    expect(await findTtyGeneration(log, 1n)).toEqual({ base: 0, first: 0 });
  });
});
