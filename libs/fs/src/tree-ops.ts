import { constants } from 'node:fs';
import { chmod, mkdir, open, readdir, readlink, rmdir, symlink, unlink, utimes } from 'node:fs/promises';
import { type AnchoredDir, replaced, sameFile } from './anchored-dir';
import { codedError, onPath } from './fs-errors';

const COPY_CHUNK = 1024 * 1024;

/** Seconds (with fraction) of a nanosecond timestamp, as utimes takes them. */
const seconds = (ns: bigint): number => Number(ns) / 1e9;

/**
 * Copies the entry `name` of `from` to the new entry `newName` of `to` (never overwriting: 409), as
 * `cp -r` with timestamps kept and links inside copied as links. Every step is relative to a
 * directory held open and never follows a link that was not there when the entry was looked at
 * (each directory and file is opened O_NOFOLLOW and must be the inode its lstat saw: else 409), so a
 * link swapped in mid-copy can neither make it read from outside nor write outside. Errors on the
 * source name `srcField`, errors on the destination `destField` (each with the path in question).
 */
export async function copyEntry(
  from: AnchoredDir,
  name: string,
  to: AnchoredDir,
  newName: string,
  srcField: string,
  destField: string,
): Promise<void> {
  const srcPath = from.child(name);
  const destPath = to.child(newName);
  const stats = await onPath(srcField, srcPath, () => from.lstat(name));
  if (stats.isSymbolicLink()) {
    const target = await onPath(srcField, srcPath, () => readlink(from.at(name)));
    await onPath(destField, destPath, () => symlink(target, to.at(newName)));
  } else if (stats.isFile()) {
    const src = await onPath(srcField, srcPath, () =>
      open(from.at(name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK),
    );
    try {
      if (!sameFile(await src.stat({ bigint: true }), stats)) throw replaced(srcField, srcPath);
      // O_EXCL: never through a link at the new name, never over an existing file.
      const dest = await onPath(destField, destPath, () => open(to.at(newName), 'wx', 0o600));
      try {
        const buffer = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(1, Number(stats.size))));
        for (;;) {
          const { bytesRead } = await onPath(srcField, srcPath, () =>
            src.read(buffer, 0, buffer.length, null),
          );
          if (bytesRead === 0) break;
          for (let done = 0; done < bytesRead;) {
            const { bytesWritten } = await onPath(destField, destPath, () =>
              dest.write(buffer, done, bytesRead - done),
            );
            done += bytesWritten;
          }
        }
        await onPath(destField, destPath, async () => {
          await dest.chmod(Number(stats.mode) & 0o7777);
          await dest.utimes(seconds(stats.atimeNs), seconds(stats.mtimeNs));
        });
      } finally {
        await dest.close();
      }
    } finally {
      await src.close();
    }
  } else if (stats.isDirectory()) {
    const src = await from.openDir(srcField, name);
    try {
      if (!sameFile(await src.stat(), stats)) throw replaced(srcField, srcPath);
      await onPath(destField, destPath, () => mkdir(to.at(newName), 0o700));
      const dest = await to.openDir(destField, newName);
      try {
        for (const entry of await onPath(srcField, srcPath, () => readdir(src.self)))
          await copyEntry(src, entry, dest, entry, srcField, destField);
        await onPath(destField, destPath, async () => {
          await chmod(dest.self, Number(stats.mode) & 0o7777);
          await utimes(dest.self, seconds(stats.atimeNs), seconds(stats.mtimeNs));
        });
      } finally {
        await dest.close();
      }
    } finally {
      await src.close();
    }
  } else {
    const code = stats.isFIFO()
      ? 'ERR_FS_CP_FIFO_PIPE'
      : stats.isSocket()
        ? 'ERR_FS_CP_SOCKET'
        : 'ERR_FS_CP_UNKNOWN';
    await onPath(srcField, srcPath, () => Promise.reject(codedError(code, `${srcPath} cannot be copied`)));
  }
}

/**
 * Removes the entry `name` of `dir` and, for a directory, everything in it: links are removed,
 * never followed, and each directory is opened O_NOFOLLOW and must be the one its lstat saw (else
 * 409), so a link swapped in for a subdirectory mid-delete never leads the delete outside.
 */
export async function removeEntry(dir: AnchoredDir, name: string, field: string): Promise<void> {
  const path = dir.child(name);
  const stats = await onPath(field, path, () => dir.lstat(name));
  if (!stats.isDirectory()) {
    await onPath(field, path, () => unlink(dir.at(name)));
    return;
  }
  const sub = await dir.openDir(field, name);
  try {
    if (!sameFile(await sub.stat(), stats)) throw replaced(field, path);
    for (const entry of await onPath(field, path, () => readdir(sub.self)))
      await removeEntry(sub, entry, field);
  } finally {
    await sub.close();
  }
  await onPath(field, path, () => rmdir(dir.at(name)));
}
