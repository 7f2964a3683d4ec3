import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { type BigIntStats, constants } from 'node:fs';
import { access, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { DomainError } from '@trainyard/core';
import { type AnchoredDir, fdPath, inAnchoredDir, O_PATH, replaced, sameFile } from './anchored-dir';
import { onPath } from './fs-errors';
import { forbidden, FsGuard, invalid } from './fs-guard';
import { FS_GUARD } from './file-ops';

/** Largest file the editor reads or writes (413 beyond). */
export const SOURCE_MAX_BYTES = 10 * 1024 * 1024;
/** A NUL byte in this many leading bytes marks a file as binary (415), as git and the original do. */
export const BINARY_SNIFF_BYTES = 8 * 1024;

/** An mtime as the API carries it: nanoseconds since the Unix epoch, as a decimal string (exact). */
export const MTIME_PATTERN = /^(0|[1-9][0-9]{0,24})$/;

export interface SourceText {
  path: string;
  content: string;
  /** Nanoseconds since the epoch (decimal string), taken before the read. */
  mtime: string;
}

export interface SourceWritten {
  path: string;
  /** The file's new mtime, nanoseconds since the epoch (decimal string). */
  mtime: string;
  /** Bytes written. */
  size: number;
}

/**
 * The editor's files: read as UTF-8 text with the file's mtime, written atomically with optimistic
 * concurrency. Mtimes are nanosecond decimal strings (the file system's own resolution, so an equal
 * string means an unchanged file; JSON numbers could not hold them exactly).
 */
@Injectable()
export class SourceFiles {
  /** Writes to one path, one at a time: the mtime check and the rename must not interleave. */
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(@Inject(FS_GUARD) private readonly guard: FsGuard) {}

  /** 400 not a regular file, 404 missing, 413 over 10 MiB, 415 binary (NUL in the first 8 KiB, or not UTF-8). */
  async read(rawPath: unknown): Promise<SourceText> {
    const path = await this.guard.editable('path', rawPath);
    const handle = await inAnchoredDir('path', dirname(path), (dir) => openNoFollow(dir, basename(path)));
    try {
      const stats = await handle.stat({ bigint: true });
      if (!stats.isFile()) throw invalid('path', `path ${path} is not a regular file`);
      if (stats.size > BigInt(SOURCE_MAX_BYTES)) throw tooLarge('path', path);
      const data = await handle.readFile();
      if (data.length > SOURCE_MAX_BYTES) throw tooLarge('path', path);
      if (data.subarray(0, BINARY_SNIFF_BYTES).includes(0))
        throw notText(path, 'it has a NUL byte in its first 8 KiB');
      let content: string;
      try {
        // ignoreBOM keeps a byte-order mark in the text, so saving the file keeps it too.
        content = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data);
      } catch {
        throw notText(path, 'it is not valid UTF-8');
      }
      return { path, content, mtime: stats.mtimeNs.toString() };
    } finally {
      await handle.close();
    }
  }

  /**
   * Replaces an existing regular file's content atomically (temporary file in the same directory,
   * fsync, rename, fsync of the directory), keeping its mode, owner and group. A file with other
   * hard links, or whose owner this server cannot give the new file (another user's, saved by a
   * non-root server), is written in place instead, as editors do (vim's `backupcopy=auto`): a rename
   * would split it from its links or take it over. With `expectedMtime`, a file whose mtime
   * differs (someone else saved it since it was read) is left alone: 409 FILE_CHANGED with
   * `details: {message, current_mtime, expected_mtime}`. Without it the file is overwritten.
   */
  async write(
    rawPath: unknown,
    content: string,
    expectedMtime: string | null | undefined,
  ): Promise<SourceWritten> {
    const path = await this.guard.editable('path', rawPath);
    const data = Buffer.from(content, 'utf8');
    if (data.length > SOURCE_MAX_BYTES) throw tooLarge('content', path);
    // What the editor saves it must open again: a read refuses such a file as binary (415).
    if (data.subarray(0, BINARY_SNIFF_BYTES).includes(0))
      throw invalid(
        'content',
        `content has a NUL character in its first ${BINARY_SNIFF_BYTES / 1024} KiB: the file would read as binary, and the editor could not open it again`,
      );
    if (expectedMtime !== null && expectedMtime !== undefined && !MTIME_PATTERN.test(expectedMtime))
      throw invalid(
        'expected_mtime',
        'expected_mtime must be an X-Mtime value (nanoseconds since the epoch, digits)',
      );
    const previous = this.writing.get(path) ?? Promise.resolve();
    const mine = previous
      .catch(() => undefined)
      .then(() => this.replace(path, data, expectedMtime ?? undefined));
    this.writing.set(path, mine);
    try {
      return await mine;
    } finally {
      if (this.writing.get(path) === mine) this.writing.delete(path);
    }
  }

  private async replace(
    path: string,
    data: Buffer,
    expectedMtime: string | undefined,
  ): Promise<SourceWritten> {
    return inAnchoredDir('path', dirname(path), async (dir) => {
      const name = basename(path);
      // The entry as it is now, held (O_PATH: no read permission needed, a FIFO does not block, a
      // link is held as the link): every later check and the in-place write are of this inode.
      const file = await onPath('path', path, () => open(dir.at(name), O_PATH | constants.O_NOFOLLOW));
      try {
        const before = await file.stat({ bigint: true });
        if (before.isSymbolicLink())
          throw invalid('path', `path must not go through a symbolic link (${path} is one)`);
        if (!before.isFile()) throw invalid('path', `path ${path} is not a regular file`);
        // The rename would replace a read-only file too (only the directory's permission counts): refuse it (403).
        await onPath('path', path, () => access(fdPath(file), constants.W_OK));
        // access() grants root everything: a file nobody may write (chmod a-w) is read-only to root too.
        if ((Number(before.mode) & 0o222) === 0)
          throw forbidden(
            'path',
            `${path} is read-only (mode ${(Number(before.mode) & 0o7777).toString(8).padStart(4, '0')})`,
          );
        if (before.nlink > 1n || !canGiveTo(Number(before.uid), Number(before.gid)))
          return await this.writeInPlace(path, file, data, expectedMtime);
        return await this.writeAndRename(dir, path, before, data, expectedMtime);
      } finally {
        await file.close();
      }
    });
  }

  /** A temporary file in the same directory, fsync'd, renamed over the name (still the file checked). */
  private async writeAndRename(
    dir: AnchoredDir,
    path: string,
    before: BigIntStats,
    data: Buffer,
    expectedMtime: string | undefined,
  ): Promise<SourceWritten> {
    const name = basename(path);
    const tmp = `.${name}.trainyard-${randomBytes(6).toString('hex')}.tmp`;
    // O_EXCL: never through a link planted at the temporary name.
    const handle = await onPath('path', path, () => open(dir.at(tmp), 'wx', 0o600));
    let renamed = false;
    try {
      let written: BigIntStats;
      try {
        await handle.writeFile(data);
        // Before the mode: a chown clears the setuid and setgid bits.
        await handle.chown(Number(before.uid), Number(before.gid));
        // After open: the mode then ignores the umask, and the file is never readable by more than the original.
        await handle.chmod(Number(before.mode) & 0o7777);
        await handle.sync();
        written = await handle.stat({ bigint: true });
      } finally {
        await handle.close();
      }
      // As late as possible before the rename, so an outside save in between is still seen.
      const current = await onPath('path', path, () => dir.lstat(name));
      // Something else put at the name since (a link, another file): not what was checked, left alone.
      if (!sameFile(current, before)) throw replaced('path', path);
      checkUnchanged(path, current, expectedMtime);
      await onPath('path', path, () => rename(dir.at(tmp), dir.at(name)));
      renamed = true;
      await dir.sync();
      return { path, mtime: written.mtimeNs.toString(), size: data.length };
    } finally {
      if (!renamed) await unlink(dir.at(tmp)).catch(() => undefined);
    }
  }

  /**
   * Rewrites the file itself (same inode: links, owner, mode kept); not atomic, as an editor's
   * in-place save. Reopened through its descriptor, so it is the file checked, whatever the name
   * now points to.
   */
  private async writeInPlace(
    path: string,
    file: FileHandle,
    data: Buffer,
    expectedMtime: string | undefined,
  ): Promise<SourceWritten> {
    const handle = await onPath('path', path, () => open(fdPath(file), constants.O_RDWR));
    try {
      checkUnchanged(path, await handle.stat({ bigint: true }), expectedMtime);
      await handle.write(data, 0, data.length, 0);
      await handle.truncate(data.length);
      await handle.sync();
      const after = await handle.stat({ bigint: true });
      return { path, mtime: after.mtimeNs.toString(), size: data.length };
    } finally {
      await handle.close();
    }
  }
}

/**
 * `name` in `dir` opened for reading, never through a symbolic link there (ELOOP → 400) and never
 * hanging on a FIFO (O_NONBLOCK; regular files ignore it).
 */
function openNoFollow(dir: AnchoredDir, name: string): Promise<FileHandle> {
  return onPath('path', dir.child(name), () =>
    open(dir.at(name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK),
  );
}

/** 409 FILE_CHANGED when the file's mtime is not `expectedMtime` (someone else saved it since it was read). */
function checkUnchanged(path: string, current: BigIntStats, expectedMtime: string | undefined): void {
  if (expectedMtime === undefined) return;
  if (current.mtimeNs.toString() === expectedMtime) return;
  const current_mtime = current.mtimeNs.toString();
  const message = `${path} changed on disk since it was read (mtime ${current_mtime}, expected ${expectedMtime})`;
  throw new DomainError('FILE_CHANGED', message, { message, current_mtime, expected_mtime: expectedMtime });
}

/** Whether this process may make a new file owned by `uid`:`gid` (root; or its own uid and one of its groups). */
function canGiveTo(uid: number, gid: number): boolean {
  if (process.getuid?.() === 0) return true;
  const groups = [process.getegid?.(), ...(process.getgroups?.() ?? [])];
  return uid === process.getuid?.() && groups.includes(gid);
}

function tooLarge(field: string, path: string): DomainError {
  const message = `${path} is larger than the editor's limit of ${SOURCE_MAX_BYTES} bytes`;
  return new DomainError('PAYLOAD_TOO_LARGE', message, [{ field, message }]);
}

function notText(path: string, why: string): DomainError {
  const message = `${path} is not a text file: ${why}`;
  return new DomainError('UNSUPPORTED_MEDIA_TYPE', message, [{ field: 'path', message }]);
}
