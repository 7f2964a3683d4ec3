import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readExitRecord } from './job-reaper';

/** The exit-status file is the job's side of the state directory: a FIFO there must not block the server. */
describe(readExitRecord.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'exit-record-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the status and why; a FIFO in its place is no record, at once (readFileSync waited for a writer)', () => {
    const path = join(dir, 'q.exit');
    writeFileSync(path, '127\ncommand not found: trian.py\n');
    expect(readExitRecord(path)).toEqual({ code: 127, bySignal: false, why: 'command not found: trian.py' });
    rmSync(path);
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    expect(readExitRecord(path)).toBeNull();
  });
});
