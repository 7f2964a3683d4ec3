import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerConfig } from '@trainyard/core';
import { FileOps } from './file-ops';
import { FsGuard } from './fs-guard';
import { SourceFiles } from './source-files';

/**
 * A guard whose checks are the real ones, after which (once, at the `n`-th check) a link is put
 * where a checked file or directory was: what another local process can do between a check and
 * the operation, made certain instead of a race.
 */
class SwapAfterCheck extends FsGuard {
  private swap?: () => void;
  private left = 0;

  swapAfter(checks: number, swap: () => void): void {
    this.left = checks;
    this.swap = swap;
  }

  override async path(field: string, raw: unknown): Promise<string> {
    return this.afterCheck(await super.path(field, raw));
  }

  /** The editor's read and save check here (it may reach the config file too). */
  override async editable(field: string, raw: unknown): Promise<string> {
    return this.afterCheck(await super.editable(field, raw));
  }

  private afterCheck(path: string): string {
    if (this.swap && --this.left === 0) {
      this.swap();
      this.swap = undefined;
    }
    return path;
  }
}

describe('a link swapped in after the checks (real files, the real operations)', () => {
  let work: string;
  let root: string; // the --fs-root
  let share: string; // a directory inside it
  let outside: string; // what the links point to: must never change
  let guard: SwapAfterCheck;
  let files: FileOps;
  let sources: SourceFiles;

  beforeEach(() => {
    work = realpathSync(mkdtempSync(join(tmpdir(), 'trainyard-swap-')));
    root = join(work, 'root');
    share = join(root, 'share');
    outside = join(work, 'outside');
    mkdirSync(join(share, 'sub'), { recursive: true });
    mkdirSync(join(outside, 'sub'), { recursive: true });
    mkdirSync(join(root, 'dest'));
    for (const dir of [share, outside]) {
      writeFileSync(join(dir, 'notes.txt'), dir === share ? 'mine' : 'secret');
      // A second name: a save of a file with hard links is in place (the write that followed the link).
      linkSync(join(dir, 'notes.txt'), join(dir, 'notes.bak'));
      writeFileSync(join(dir, 'img.png'), dir === share ? 'mine' : 'secret');
    }
    guard = new SwapAfterCheck([root], join(work, 'home'));
    files = new FileOps(guard, {} as ServerConfig);
    sources = new SourceFiles(guard);
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  /** notes.txt becomes a link to the outside one. */
  const fileToLink = () => {
    renameSync(join(share, 'notes.txt'), join(share, 'notes.old'));
    symlinkSync(join(outside, 'notes.txt'), join(share, 'notes.txt'));
  };
  /** The directory `dir` becomes a link to `outside`. */
  const dirToLink = (dir: string) => () => {
    renameSync(dir, `${dir}.old`);
    symlinkSync(outside, dir);
  };
  const outsideUnchanged = () => {
    expect(readdirSync(outside).sort()).toEqual(['img.png', 'notes.bak', 'notes.txt', 'sub']);
    expect(readFileSync(join(outside, 'notes.txt'), 'utf8')).toBe('secret');
  };
  const refused = expect.objectContaining({ code: 'VALIDATION_FAILED' });

  it('a save is refused (400) when the file became a link, and the linked file is left alone', async () => {
    guard.swapAfter(1, fileToLink);
    await expect(sources.write(join(share, 'notes.txt'), 'pwned', null)).rejects.toEqual(refused);
    outsideUnchanged();
    // Without other links (the atomic branch) too.
    rmSync(join(share, 'notes.txt'));
    renameSync(join(share, 'notes.old'), join(share, 'notes.txt'));
    rmSync(join(share, 'notes.bak'));
    guard.swapAfter(1, fileToLink);
    await expect(sources.write(join(share, 'notes.txt'), 'pwned', null)).rejects.toEqual(refused);
    outsideUnchanged();
  });

  it('a read is refused (400) when the file became a link; nothing outside is read', async () => {
    guard.swapAfter(1, fileToLink);
    await expect(sources.read(join(share, 'notes.txt'))).rejects.toEqual(refused);
  });

  const ops: Array<[string, number, () => string, (f: FileOps, s: SourceFiles) => Promise<unknown>]> = [
    ['save', 1, () => share, (_f, s) => s.write(join(share, 'notes.txt'), 'pwned', null)],
    ['read', 1, () => share, (_f, s) => s.read(join(share, 'notes.txt'))],
    ['browse', 1, () => share, (f) => f.browse(share, true, true)],
    ['mkdir', 1, () => share, (f) => f.mkdir(share, 'planted')],
    ['new-file', 1, () => share, (f) => f.newFile(share, 'planted')],
    ['rename', 2, () => share, (f) => f.rename(join(share, 'notes.txt'), 'renamed')],
    ['delete-file', 1, () => share, (f) => f.deleteFile(join(share, 'notes.txt'), true)],
    ['delete-dir', 1, () => share, (f) => f.deleteDir(join(share, 'sub'), true)],
    ['copy from', 2, () => share, (f) => f.copy(join(share, 'notes.txt'), join(root, 'dest'), false)],
    // After the dest_dir is held: the copy goes into the directory checked (now renamed dest.old).
    [
      'copy into',
      3,
      () => join(root, 'dest'),
      (f) => f.copy(join(share, 'img.png'), join(root, 'dest'), false, 'planted'),
    ],
    ['move from', 3, () => share, (f) => f.move(join(share, 'notes.txt'), join(root, 'dest'))],
    ['move into', 3, () => join(root, 'dest'), (f) => f.move(join(share, 'img.png'), join(root, 'dest'))],
    ['README image', 2, () => share, (f) => f.openAsset(share, 'img.png')],
  ];
  it.each(ops)(
    '%s: a directory on the way swapped for a link after the checks is never followed, outside untouched',
    async (name, checks, dir, op) => {
      guard.swapAfter(checks, dirToLink(dir()));
      if (name === 'copy into') {
        await op(files, sources);
        expect(readFileSync(join(root, 'dest.old', 'planted'), 'utf8')).toBe('mine');
      } else await expect(op(files, sources)).rejects.toEqual(refused);
      outsideUnchanged();
      expect(existsSync(join(outside, 'planted'))).toBe(false);
    },
  );
});
