import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatePaths } from '@trainyard/core';
import { JobFiles } from '@trainyard/jobs';
import { LateLogNotes } from './late-log-notes';

describe('LateLogNotes (real files)', () => {
  let home: string;
  let files: JobFiles;
  let notes: LateLogNotes;
  const id = 'q_1700000000000_0a1b2c3d';
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'late-notes-'));
    const paths = new StatePaths(home);
    mkdirSync(paths.jobsDir);
    files = new JobFiles(paths);
    notes = new LateLogNotes(files);
  });
  afterEach(() => {
    notes.onModuleDestroy();
    rmSync(home, { recursive: true, force: true });
  });

  it('appends the notes at the end of the log, in order, when there is room', () => {
    writeFileSync(files.tty(id), 'output\n');
    notes.append(id, ['first', 'second']);
    expect(readFileSync(files.tty(id), 'utf8')).toBe(
      'output\n\r\n[trainyard] first\r\n\r\n[trainyard] second\r\n',
    );
  });

  it('never brings back a log that is gone (a cleanup removed the job)', () => {
    notes.append(id, ['lost']);
    expect(existsSync(files.tty(id))).toBe(false);
  });
});
