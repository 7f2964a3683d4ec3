import {
  chmodSync,
  chownSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secureStateDir, StateDirError, writeFileAtomic, writePrivateFileInPlace } from './secure-files';

// Real files, real owners: the suite runs as root, so it can give a file to `nobody`.
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0 ? it : it.skip;

describe(secureStateDir.name, () => {
  let root: string;
  const mode = (path: string) => statSync(path).mode & 0o777;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'state-dir-'));
    mkdirSync(join(root, 'jobs'), { mode: 0o755 });
    writeFileSync(join(root, 'auth_token'), 'x', { mode: 0o644 });
    writeFileSync(join(root, 'jobs', 'q.tty'), 'x', { mode: 0o640 });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('tightens every file to 0600 and every directory to 0700, and says which files others could read', () => {
    chmodSync(root, 0o755);
    expect(secureStateDir(root).sort()).toEqual(['auth_token', 'jobs/q.tty']);
    expect([
      mode(root),
      mode(join(root, 'jobs')),
      mode(join(root, 'auth_token')),
      mode(join(root, 'jobs', 'q.tty')),
    ]).toEqual([0o700, 0o700, 0o600, 0o600]);
  });

  asRoot.each([
    ['the directory itself', ''],
    ['a planted token', 'auth_token'],
    ['a file deep inside', 'jobs/q.tty'],
  ])('refuses %s owned by another user, naming it, and changes nothing', (_what, relative) => {
    const path = join(root, relative);
    chownSync(path, NOBODY, NOBODY);
    chmodSync(root, 0o755);
    expect(() => secureStateDir(root, 0)).toThrow(
      new StateDirError(
        `refusing to use the state directory ${root}: ${path} is owned by uid ${NOBODY}, not the server's uid 0 (chown it, or use another TRAINYARD_HOME)`,
      ),
    );
    expect(mode(root)).toBe(0o755);
  });

  asRoot('refuses a symlink another user owns, without following it', () => {
    const link = join(root, 'jobs', 'link');
    symlinkSync('/etc/passwd', link);
    lchownSync(link, NOBODY, NOBODY);
    expect(() => secureStateDir(root, 0)).toThrow(/jobs\/link is owned by uid 65534/);
  });

  it.each([
    ['group-writable directory', '', 0o770],
    ['world-writable file', 'auth_token', 0o666],
    ['group-writable file in an open directory', 'jobs/q.tty', 0o660],
  ])('refuses a %s others can reach', (_what, relative, bits) => {
    chmodSync(root, 0o755);
    const path = join(root, relative);
    chmodSync(path, bits);
    expect(() => secureStateDir(root)).toThrow(
      `${path} is writable by other users (mode 0${bits.toString(8)}`,
    );
  });

  it('only tightens a writable file no other user can reach (a job with umask 002 wrote it)', () => {
    chmodSync(root, 0o700);
    chmodSync(join(root, 'jobs', 'q.tty'), 0o664);
    // Nobody else could read it either: nothing to report.
    expect(secureStateDir(root)).toEqual([]);
    expect(mode(join(root, 'jobs', 'q.tty'))).toBe(0o600);
  });
});

describe(writeFileAtomic.name, () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'atomic-'))));
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(root, { recursive: true, force: true });
  });

  it('fsyncs before the rename', () => {
    const fsync = jest.spyOn(require('node:fs') as typeof import('node:fs'), 'fsyncSync');
    writeFileAtomic(join(root, 'a'), 'one\n', 0o600);
    expect(fsync).toHaveBeenCalledTimes(1);
  });
});

describe(writePrivateFileInPlace.name, () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'in-place-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates a 0600 file, and overwrites one left readable by others down to 0600', () => {
    writePrivateFileInPlace(join(root, 'a'), 'one\n');
    writeFileSync(join(root, 'b'), 'a much longer old content\n', { mode: 0o644 });
    chmodSync(join(root, 'b'), 0o644);
    writePrivateFileInPlace(join(root, 'b'), 'two\n');
    for (const [name, content] of [
      ['a', 'one\n'],
      ['b', 'two\n'],
    ])
      expect([readFileSync(join(root, name), 'utf8'), statSync(join(root, name)).mode & 0o777]).toEqual([
        content,
        0o600,
      ]);
  });

  it('refuses a symlink planted at the path instead of writing through it', () => {
    writeFileSync(join(root, 'target'), 'keep\n');
    symlinkSync(join(root, 'target'), join(root, 'link'));
    expect(() => writePrivateFileInPlace(join(root, 'link'), 'secret\n')).toThrow(/ELOOP/);
    expect(readFileSync(join(root, 'target'), 'utf8')).toBe('keep\n');
  });
});
