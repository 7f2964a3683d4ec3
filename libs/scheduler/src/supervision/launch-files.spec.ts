import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerConfig } from '@trainyard/core';
import { LaunchFiles } from './launch-files';

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe(LaunchFiles.name, () => {
  let home: string;
  let spares: string;
  let files: LaunchFiles;
  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'trainyard-launch-files-'));
    spares = join(home, 'launch-spares');
    mkdirSync(spares, { mode: 0o700 });
    writeFileSync(join(spares, 'file-left-by-a-crash'), '');
    files = new LaunchFiles({ paths: { launchSparesDir: spares } } as unknown as ServerConfig);
    files.onModuleInit();
    await nextTick();
  });
  afterEach(() => {
    files.onModuleDestroy();
    rmSync(home, { recursive: true, force: true });
  });

  const inodes = () => new Set(readdirSync(spares).map((name) => statSync(join(spares, name)).ino));

  it('starts with fresh spares only, and fills a launch’s secret and directory from them (0600 / 0700), then makes new ones', async () => {
    expect(readdirSync(spares)).not.toContain('file-left-by-a-crash');
    const before = inodes();
    expect(before.size).toBe(4);
    const secret = join(home, 'q_1_aaaaaaaa.run-token');
    const dir = join(home, 'control-q_1');
    files.writeSecret(secret, 'token\n');
    files.makeDir(dir);
    expect(readFileSync(secret, 'utf8')).toBe('token\n');
    expect(statSync(secret).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(before.has(statSync(secret).ino) && before.has(statSync(dir).ino)).toBe(true); // renamed, not created
    await nextTick();
    expect(inodes().size).toBe(4);
  });

  it('replaces an existing file or symlink at the path (never writing through it), and keeps a non-empty directory', () => {
    const target = join(home, 'elsewhere');
    writeFileSync(target, 'keep');
    const secret = join(home, 'q_1_aaaaaaaa.token');
    symlinkSync(target, secret);
    files.writeSecret(secret, 'new');
    expect(readFileSync(target, 'utf8')).toBe('keep');
    expect(readFileSync(secret, 'utf8')).toBe('new');
    const dir = join(home, 'control-q_1');
    mkdirSync(dir);
    writeFileSync(join(dir, 'endpoint.json'), '{}');
    files.makeDir(dir);
    expect(readdirSync(dir)).toEqual(['endpoint.json']);
  });

  it('creates the files itself when no spare is left (a burst) or the spares are gone', () => {
    rmSync(spares, { recursive: true, force: true });
    for (let i = 0; i < 3; i++) {
      files.writeSecret(join(home, `q_${i}_aaaaaaaa.token`), `t${i}`);
      files.makeDir(join(home, `control-${i}`));
    }
    expect(readFileSync(join(home, 'q_2_aaaaaaaa.token'), 'utf8')).toBe('t2');
    expect(statSync(join(home, 'control-2')).isDirectory()).toBe(true);
  });

  it('takes an ended job’s secret file (emptied) and empty control directory back as spares: the next launch allocates nothing', async () => {
    const secret = join(home, 'q_1_aaaaaaaa.run-token');
    const dir = join(home, 'control-q_1');
    files.writeSecret(secret, 'dead credential\n');
    files.makeDir(dir);
    const [secretIno, dirIno] = [statSync(secret).ino, statSync(dir).ino];
    await nextTick();
    files.recycleSecret(secret);
    files.recycleDir(dir);
    expect(existsSync(secret) || existsSync(dir)).toBe(false);
    expect(inodes().has(secretIno) && inodes().has(dirIno)).toBe(true);
    for (const name of readdirSync(spares))
      if (name.startsWith('file-')) expect(readFileSync(join(spares, name), 'utf8')).toBe('');
    // The newest spares are used first: the next launch gets those very inodes, with its own content.
    const next = join(home, 'q_2_aaaaaaaa.run-token');
    const nextDir = join(home, 'control-q_2');
    files.writeSecret(next, 'new');
    files.makeDir(nextDir);
    expect([statSync(next).ino, statSync(nextDir).ino]).toEqual([secretIno, dirIno]);
    expect(readFileSync(next, 'utf8')).toBe('new');
  });

  it('removes instead what a job changed: a looser mode, a second link, a symlink, a non-empty directory (never following a link)', () => {
    const before = inodes();
    const loose = join(home, 'q_1_aaaaaaaa.a');
    writeFileSync(loose, 'x', { mode: 0o644 });
    const linked = join(home, 'q_1_aaaaaaaa.b');
    writeFileSync(linked, 'x', { mode: 0o600 });
    linkSync(linked, join(home, 'kept-by-the-job'));
    const outside = join(home, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'data'), 'keep');
    const linkedDir = join(home, 'control-link');
    symlinkSync(outside, linkedDir);
    const full = join(home, 'control-full');
    mkdirSync(full);
    writeFileSync(join(full, 'endpoint.json'), '{}');
    for (const path of [loose, linked]) files.recycleSecret(path);
    for (const path of [linkedDir, full]) files.recycleDir(path);
    for (const path of [loose, linked, linkedDir, full]) expect(existsSync(path)).toBe(false);
    expect(readFileSync(join(outside, 'data'), 'utf8')).toBe('keep');
    expect(readFileSync(join(home, 'kept-by-the-job'), 'utf8')).toBe('x');
    expect(inodes()).toEqual(before);
    files.recycleSecret(join(home, 'missing'));
    files.recycleDir(join(home, 'missing-dir'));
  });
});
