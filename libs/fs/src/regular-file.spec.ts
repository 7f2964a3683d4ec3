import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onPath } from './fs-errors';
import { readRegularFile } from './regular-file';

describe(readRegularFile.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'trainyard-regular-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const read = (path: string, maxBytes?: number) =>
    onPath('config', path, () => readRegularFile(path, maxBytes));

  it('reads a regular file', async () => {
    writeFileSync(join(dir, 'trainyard.yaml'), 'name: x\n');
    await expect(read(join(dir, 'trainyard.yaml'))).resolves.toBe('name: x\n');
  });

  // Before: plain Errors, which onPath let through as a 500.
  it('is a 400 naming the field for a named pipe, a directory, or a file over the limit', async () => {
    const fifo = join(dir, 'fifo.yaml');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await expect(read(fifo)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [
        { field: 'config', message: `config ${fifo} is not a regular file (a named pipe, socket or device)` },
      ],
    });
    mkdirSync(join(dir, 'sub.yaml'));
    await expect(read(join(dir, 'sub.yaml'))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'config', message: `config ${join(dir, 'sub.yaml')} is a directory` }],
    });
    writeFileSync(join(dir, 'big.yaml'), 'x'.repeat(100));
    await expect(read(join(dir, 'big.yaml'), 10)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'config', message: `config ${join(dir, 'big.yaml')} is too large to read` }],
    });
  });
});
