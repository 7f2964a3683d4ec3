import { constants, type BigIntStats } from 'node:fs';
import { lstat, open, readlink, type FileHandle } from 'node:fs/promises';
import { DomainError } from '@trainyard/core';
import { onPath } from './fs-errors';

/** Linux's O_PATH (x86-64, arm64): a handle that pins a directory without needing read permission on it. */
export const O_PATH = 0o10000000;
const DIR_FLAGS = O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** A file's `/proc/self/fd` name: opening it reopens that very inode, looking no name up. */
export function fdPath(handle: FileHandle): string {
  return `/proc/self/fd/${handle.fd}`;
}

/** 409 CONFLICT naming `field`: what was checked is no longer what the path names (a swap or a move in between). */
export function replaced(field: string, path: string): DomainError {
  const message = `${field} ${path} was replaced or moved while the server was using it; nothing was changed`;
  return new DomainError('CONFLICT', message, [{ field, message }]);
}

/** Whether two stats are of the same inode. */
export function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * A directory held open (O_PATH): names inside it are looked up in this very directory through
 * `/proc/self/fd/<n>/<name>`, so a directory or symbolic link swapped in for one of its ancestors
 * after the checks changes nothing. Every operation on `at(name)` acts on the entry itself, never
 * through a link there, when it is one that does not follow a last-component link (lstat, unlink,
 * rename, mkdir, rmdir, symlink, an O_EXCL create, an O_NOFOLLOW open).
 */
export class AnchoredDir {
  constructor(
    /** The path it was opened as (checked: no link, inside the roots). */
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** `/proc/self/fd/<n>`: the directory itself (readdir, reopen). */
  get self(): string {
    return fdPath(this.handle);
  }

  /** `name` (one component) inside this directory, for a system call. */
  at(name: string): string {
    return `${this.self}/${name}`;
  }

  /** The logical path of `name` inside it, for messages and answers. */
  child(name: string): string {
    return this.path === '/' ? `/${name}` : `${this.path}/${name}`;
  }

  /** This directory's subdirectory `name`, never through a link (a link there: ELOOP). */
  async openDir(field: string, name: string): Promise<AnchoredDir> {
    const path = this.child(name);
    const handle = await onPath(field, path, () => openDirAt(this.self, name));
    return new AnchoredDir(path, handle);
  }

  /** fstat of the directory held. */
  stat(): Promise<BigIntStats> {
    return this.handle.stat({ bigint: true });
  }

  /** The entry `name`, not followed (ENOENT and the rest as fs errors). */
  lstat(name: string): Promise<BigIntStats> {
    return lstat(this.at(name), { bigint: true });
  }

  /** fsync of the directory (a rename or create in it made durable); a file system that cannot is not an error. */
  async sync(): Promise<void> {
    try {
      const handle = await open(this.self, constants.O_RDONLY | constants.O_DIRECTORY);
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch {
      /* best effort */
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** O_PATH|O_DIRECTORY|O_NOFOLLOW of `name` in `dir`; a symbolic link there rejects with ELOOP (not ENOTDIR). */
async function openDirAt(dir: string, name: string): Promise<FileHandle> {
  try {
    return await open(`${dir}/${name}`, DIR_FLAGS);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      const stats = await lstat(`${dir}/${name}`).catch(() => undefined);
      if (stats?.isSymbolicLink()) throw Object.assign(err as Error, { code: 'ELOOP' });
    }
    throw err;
  }
}

/**
 * Opens the directory at `path` (absolute, normalised, already checked by the FsGuard) one component
 * at a time from `/`, each relative to the one before and never through a symbolic link (ELOOP → 400
 * naming `field`). The directory then open must still be at `path` (its `/proc/self/fd` link reads
 * back as `path`): else 409 CONFLICT, as an ancestor was moved in between. Because the checked path
 * has no link and lies inside the roots (or is the server's config file: FsGuard.editable), so does
 * the directory held.
 */
export async function openAnchoredDir(field: string, path: string): Promise<AnchoredDir> {
  let current = await onPath(field, path, () => open('/', DIR_FLAGS));
  try {
    for (const name of path.split('/').filter((n) => n !== '')) {
      const dir = fdPath(current);
      const next = await onPath(field, path, () => openDirAt(dir, name));
      await current.close();
      current = next;
    }
    if ((await readlink(fdPath(current))) !== path) throw replaced(field, path);
  } catch (err) {
    await current.close().catch(() => undefined);
    throw err;
  }
  return new AnchoredDir(path, current);
}

/** Runs `op` with the directory at `path` held open (see {@link openAnchoredDir}), closing it after. */
export async function inAnchoredDir<T>(
  field: string,
  path: string,
  op: (dir: AnchoredDir) => Promise<T>,
): Promise<T> {
  const dir = await openAnchoredDir(field, path);
  try {
    return await op(dir);
  } finally {
    await dir.close();
  }
}
