import { Inject, Injectable } from '@nestjs/common';
import { constants, type ReadStream } from 'node:fs';
import { access, mkdir, open, readdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { DomainError, SERVER_CONFIG, type ServerConfig } from '@trainyard/core';
import { type AnchoredDir, inAnchoredDir } from './anchored-dir';
import { codedError, fsError, onPath } from './fs-errors';
import { copyName, FsGuard, invalid, parseBareName } from './fs-guard';
import { copyEntry, removeEntry } from './tree-ops';

export type EntryKind = 'dir' | 'file' | 'symlink' | 'other';

export interface DirEntry {
  name: string;
  /** Absolute path (the listed directory joined with `name`). */
  path: string;
  kind: EntryKind;
}

export interface DirListing {
  path: string;
  /** null at `/`. */
  parent: string | null;
  entries: DirEntry[];
  /** Entries left out for their leading dot (0 with showHidden). */
  hidden: number;
}

export interface QuickPath {
  name: string;
  path: string;
}

/** Largest README image the asset endpoint serves. */
export const ASSET_MAX_BYTES = 50 * 1024 * 1024;

/** Image types the asset endpoint serves, by extension (anything else: 415). */
export const ASSET_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.svg': 'image/svg+xml',
  '.bmp': 'image/bmp',
  '.ico': 'image/x-icon',
};

/** Auto-rename gives up after this many `(copy N)` candidates. */
const MAX_COPY_NAMES = 1000;

export const FS_GUARD = Symbol('FS_GUARD');

/**
 * The Files API's operations on the host's file system, each checked by the {@link FsGuard} first
 * (see there for the order of checks). Node-local side effects: nothing here is journaled or
 * replicated. Every path in and out is absolute; errors are DomainErrors naming the request field.
 */
@Injectable()
export class FileOps {
  constructor(
    @Inject(FS_GUARD) readonly guard: FsGuard,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  /** Lists a directory: directories only unless `filesToo`, dotfiles only with `showHidden`; directories first, then by name. */
  async browse(rawPath: string | undefined, showHidden: boolean, filesToo: boolean): Promise<DirListing> {
    const path = await this.guard.path('path', rawPath ?? (await this.defaultDir()));
    // Listed through the directory held open: a link swapped in for it after the checks is not listed.
    const dirents = await inAnchoredDir('path', path, (dir) =>
      onPath('path', path, () => readdir(dir.self, { withFileTypes: true })),
    );
    const entries: DirEntry[] = [];
    let hidden = 0;
    for (const d of dirents) {
      if (!showHidden && d.name.startsWith('.')) {
        if (filesToo || d.isDirectory()) hidden++;
        continue;
      }
      const kind: EntryKind = d.isDirectory()
        ? 'dir'
        : d.isFile()
          ? 'file'
          : d.isSymbolicLink()
            ? 'symlink'
            : 'other';
      if (kind !== 'dir' && !filesToo) continue;
      entries.push({ name: d.name, path: path === '/' ? `/${d.name}` : `${path}/${d.name}`, kind });
    }
    entries.sort((a, b) =>
      a.kind === 'dir' && b.kind !== 'dir'
        ? -1
        : b.kind === 'dir' && a.kind !== 'dir'
          ? 1
          : a.name < b.name
            ? -1
            : a.name > b.name
              ? 1
              : 0,
    );
    // At an --fs-root its parent is outside: offered, it would only answer 403.
    const parent = path === '/' || !(await this.guard.inside(dirname(path))) ? null : dirname(path);
    return { path, parent, entries, hidden };
  }

  /** Named starting points (home, the state directory, each `--fs-root`) that exist and may be browsed. */
  async quickPaths(): Promise<QuickPath[]> {
    const candidates: QuickPath[] = [
      { name: 'Home', path: this.guard.home },
      { name: 'Trainyard home', path: this.config.home },
      ...this.guard.roots.map((root) => ({ name: `Root ${basename(root) || '/'}`, path: root })),
    ];
    const out: QuickPath[] = [];
    for (const candidate of candidates) {
      try {
        // Real paths: a home reached through a symlink would otherwise be refused by every browse.
        const path = await this.guard.path('path', await realpath(candidate.path));
        if ((await stat(path)).isDirectory() && !out.some((q) => q.path === path))
          out.push({ ...candidate, path });
      } catch {
        /* missing, outside the roots or unreadable: not offered */
      }
    }
    return out;
  }

  /** Creates one directory `parent/name` (the parent must exist). 409 when the name is taken. */
  async mkdir(parent: unknown, name: unknown): Promise<string> {
    const target = await this.newChild(parent, name);
    await inAnchoredDir('parent', dirname(target), (dir) =>
      onPath('name', target, () => mkdir(dir.at(basename(target)))),
    );
    return target;
  }

  /** Creates an empty file `parent/name`, never overwriting (409 when the name is taken). */
  async newFile(parent: unknown, name: unknown): Promise<string> {
    const target = await this.newChild(parent, name);
    await inAnchoredDir('parent', dirname(target), async (dir) => {
      // O_EXCL: never through a link at the name.
      const handle = await onPath('name', target, () => open(dir.at(basename(target)), 'wx', 0o666));
      await handle.close();
    });
    return target;
  }

  /**
   * Renames `path` in place to the bare `newName`; 409 when the new name is taken by another entry.
   * Its own name changes nothing (200), as a move into the folder it is in does.
   */
  async rename(rawPath: unknown, newName: unknown): Promise<string> {
    const path = await this.guard.path('path', rawPath);
    const name = parseBareName('new_name', newName);
    this.guard.depthFloor('path', path);
    this.guard.notDenied('path', path);
    const target = join(dirname(path), name);
    await this.guard.path('new_name', target);
    await inAnchoredDir('path', dirname(path), async (dir) => {
      await onPath('path', path, () => dir.lstat(basename(path)));
      if (name === basename(path)) return;
      await mustBeFree(dir, name, 'new_name');
      await onPath('new_name', target, () => rename(dir.at(basename(path)), dir.at(name)));
    });
    return target;
  }

  /**
   * Copies a file or a directory tree (symlinks inside copied as links, timestamps kept) to
   * `destDir/(targetName ?? basename(src))`. A taken name is a 409, or with `autoRename` the first free
   * `stem (copy).ext`, `stem (copy 2).ext`, ...
   */
  async copy(
    rawSrc: unknown,
    rawDestDir: unknown,
    autoRename: boolean,
    targetName?: unknown,
  ): Promise<string> {
    const src = await this.guard.path('src', rawSrc);
    const destDir = await this.guard.path('dest_dir', rawDestDir);
    const name = targetName === undefined ? basename(src) : parseBareName('target_name', targetName);
    return inAnchoredDir('src', dirname(src), async (from) => {
      await onPath('src', src, () => from.lstat(basename(src)));
      return inAnchoredDir('dest_dir', destDir, async (to) => {
        for (let n = 0; n < (autoRename ? MAX_COPY_NAMES : 1); n++) {
          const target = join(destDir, copyName(name, n));
          await this.guard.path('dest_dir', target);
          this.guard.depthFloor('dest_dir', target);
          if (await exists(to, copyName(name, n))) continue;
          intoItself(src, target);
          await copyEntry(from, basename(src), to, copyName(name, n), 'src', 'dest_dir');
          return target;
        }
        const taken = join(destDir, name);
        throw new DomainError('PATH_EXISTS', `dest_dir: ${taken} already exists`, [
          { field: 'dest_dir', message: `${taken} already exists` },
        ]);
      });
    });
  }

  /** Moves a file or directory to `destDir/basename(src)` (copy + delete across devices); 409 when taken. */
  async move(rawSrc: unknown, rawDestDir: unknown): Promise<string> {
    const src = await this.guard.path('src', rawSrc);
    this.guard.depthFloor('src', src);
    this.guard.notDenied('src', src);
    const destDir = await this.guard.path('dest_dir', rawDestDir);
    const name = basename(src);
    const target = join(destDir, name);
    await this.guard.path('dest_dir', target);
    this.guard.depthFloor('dest_dir', target);
    return inAnchoredDir('src', dirname(src), async (from) => {
      await onPath('src', src, () => from.lstat(name));
      return inAnchoredDir('dest_dir', destDir, async (to) => {
        if (target === src) return target;
        await mustBeFree(to, name, 'dest_dir');
        try {
          await rename(from.at(name), to.at(name));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw await renameError(err, src, to, target);
          intoItself(src, target);
          await copyEntry(from, name, to, name, 'src', 'dest_dir');
          await removeEntry(from, name, 'src');
        }
        return target;
      });
    });
  }

  /** Unlinks one regular file; needs `confirmed`. */
  async deleteFile(rawPath: unknown, confirmed: boolean): Promise<string> {
    requireConfirmation(confirmed);
    const path = await this.guard.path('path', rawPath);
    this.guard.depthFloor('path', path);
    await inAnchoredDir('path', dirname(path), async (dir) => {
      const stats = await onPath('path', path, () => dir.lstat(basename(path)));
      if (!stats.isFile())
        throw invalid('path', `path ${path} is not a regular file (use delete-dir for a directory)`);
      // unlink never follows a link: a link swapped in since is what goes, not its target.
      await onPath('path', path, () => unlink(dir.at(basename(path))));
    });
    return path;
  }

  /** Removes a directory and everything in it (links inside are removed, never followed); needs `confirmed`. */
  async deleteDir(rawPath: unknown, confirmed: boolean): Promise<string> {
    requireConfirmation(confirmed);
    const path = await this.guard.path('path', rawPath);
    this.guard.depthFloor('path', path);
    this.guard.notDenied('path', path);
    await inAnchoredDir('path', dirname(path), async (dir) => {
      const stats = await onPath('path', path, () => dir.lstat(basename(path)));
      if (!stats.isDirectory()) throw invalid('path', `path ${path} is not a directory`);
      await removeEntry(dir, basename(path), 'path');
    });
    return path;
  }

  /**
   * An image under `base` (a README's directory) at the relative `asset` path, opened for streaming:
   * no absolute path, `.`/`..` or link component; an image extension (415 otherwise); at most
   * {@link ASSET_MAX_BYTES} (413).
   */
  async openAsset(
    rawBase: unknown,
    rawAsset: unknown,
  ): Promise<{ stream: ReadStream; type: string; size: number }> {
    const base = await this.guard.path('base', rawBase);
    if (typeof rawAsset !== 'string' || rawAsset === '' || rawAsset.startsWith('/'))
      throw invalid('asset', 'asset must be a path relative to base');
    const path = await this.guard.path('asset', `${base}/${rawAsset}`);
    if (!path.startsWith(`${base}/`)) throw invalid('asset', 'asset must stay inside base');
    const type = ASSET_TYPES[extname(path).toLowerCase()];
    if (!type)
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `asset ${path} is not an image this server serves`, [
        { field: 'asset', message: `extension must be one of ${Object.keys(ASSET_TYPES).join(', ')}` },
      ]);
    // Never through a link swapped in after the checks, for the file or a directory on the way.
    const handle = await inAnchoredDir('asset', dirname(path), (dir) =>
      onPath('asset', path, () =>
        open(dir.at(basename(path)), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK),
      ),
    );
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw invalid('asset', `asset ${path} is not a regular file`);
      if (stats.size > ASSET_MAX_BYTES)
        throw new DomainError('PAYLOAD_TOO_LARGE', `asset ${path} is larger than ${ASSET_MAX_BYTES} bytes`, [
          { field: 'asset', message: `larger than ${ASSET_MAX_BYTES} bytes` },
        ]);
      // Streams from the descriptor that was checked, not the path again.
      return { stream: handle.createReadStream(), type, size: stats.size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  private async defaultDir(): Promise<string> {
    return this.guard.roots[0] ?? (await realpath(this.guard.home).catch(() => '/'));
  }

  private async newChild(parent: unknown, name: unknown): Promise<string> {
    const target = await this.guard.child('parent', parent, 'name', name);
    await this.mustBeDir('parent', dirname(target));
    this.guard.depthFloor('name', target);
    return target;
  }

  private async mustBeDir(field: string, path: string): Promise<void> {
    const stats = await onPath(field, path, () => stat(path));
    if (!stats.isDirectory()) throw invalid(field, `${field} ${path} is not a directory`);
  }
}

/** 409 PATH_EXISTS naming `field` when `dir` has an entry `name` (a link counts, never followed). */
async function mustBeFree(dir: AnchoredDir, name: string, field: string): Promise<void> {
  if (await exists(dir, name)) {
    const path = dir.child(name);
    throw new DomainError('PATH_EXISTS', `${field}: ${path} already exists`, [
      { field, message: `${path} already exists` },
    ]);
  }
}

async function exists(dir: AnchoredDir, name: string): Promise<boolean> {
  try {
    await dir.lstat(name);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fsError(err, 'path', dir.child(name));
  }
}

/** 400 naming `src` for a copy of a directory into itself (it would never end). */
function intoItself(src: string, target: string): void {
  if (target === src || target.startsWith(`${src}/`))
    throw fsError(codedError('ERR_FS_CP_EINVAL', `${src} into itself`), 'src', src);
}

/**
 * A failed move's rename as a 4xx naming the side at fault: `dest_dir` (and the destination) when
 * the destination directory refuses (not writable, read-only, full, the name taken), else `src`.
 */
async function renameError(err: unknown, src: string, to: AnchoredDir, target: string): Promise<unknown> {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOSPC' || code === 'EDQUOT')
    return fsError(err, 'dest_dir', target);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    const destWritable = await access(to.self, constants.W_OK | constants.X_OK).then(
      () => true,
      () => false,
    );
    if (!destWritable) return fsError(err, 'dest_dir', target);
  }
  return fsError(err, 'src', src);
}

/** 400 naming `confirmed` unless it is true (every delete asks for it). */
export function requireConfirmation(confirmed: boolean): void {
  if (confirmed !== true)
    throw new DomainError('CONFIRMATION_REQUIRED', 'Deleting needs {"confirmed": true}', [
      { field: 'confirmed', message: 'confirmed must be true' },
    ]);
}
