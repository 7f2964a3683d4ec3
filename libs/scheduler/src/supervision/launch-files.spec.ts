import {
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
});
