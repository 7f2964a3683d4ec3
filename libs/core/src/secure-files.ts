import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  Stats,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { randomHex } from './ids';

export const SECRET_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * The state directory cannot be used; the message is one line. `storage`: its file system refused
 * (full, read-only…, see isStorageErrno); otherwise it cannot be trusted (another user's, writable by
 * others) or its layout is wrong (a file where a directory belongs).
 */
export class StateDirError extends Error {
  constructor(
    message: string,
    readonly storage = false,
  ) {
    super(message);
  }
}

/**
 * Refuses a state directory another local user owns or could have written to — they could plant a
 * token, a config or a database there: throws a StateDirError naming the first such path before
 * changing anything. Every entry must be owned by `uid` (symlinks too, never followed); an entry
 * writable by group/others is refused when others can reach it, i.e. when no directory above it
 * (within the state directory) is closed to them. Then removes every group/other permission bit
 * (files 0600, directories 0700), which is all an unreachable writable file needs (e.g. a job
 * running with umask 002 writing into its control directory). Returns the files other users could
 * read until then (paths relative to `root`): whatever secret they hold may have been copied.
 */
export function secureStateDir(root: string, uid: number = process.getuid!()): string[] {
  const entries: Array<{ path: string; stats: Stats; reachable: boolean }> = [];
  const walk = (path: string, reachable: boolean): void => {
    // Running jobs may add and remove files meanwhile: one gone since it was listed is skipped.
    const stats = ignoreMissing(() => lstatSync(path));
    if (!stats) return;
    entries.push({ path, stats, reachable });
    if (!stats.isDirectory()) return;
    const inside = reachable && (stats.mode & 0o011) !== 0;
    for (const name of ignoreMissing(() => readdirSync(path)) ?? []) walk(join(path, name), inside);
  };
  walk(root, true);
  const refuse = (path: string, why: string) =>
    new StateDirError(`refusing to use the state directory ${root}: ${path} ${why}`);
  for (const { path, stats, reachable } of entries) {
    if (stats.uid !== uid)
      throw refuse(
        path,
        `is owned by uid ${stats.uid}, not the server's uid ${uid} (chown it, or use another TRAINYARD_HOME)`,
      );
    if (reachable && !stats.isSymbolicLink() && (stats.mode & 0o022) !== 0)
      throw refuse(path, `is writable by other users (mode ${octal(stats.mode)}; check it, then chmod go-w)`);
  }
  const exposed: string[] = [];
  for (const { path, stats, reachable } of entries) {
    if (reachable && stats.isFile() && (stats.mode & 0o044) !== 0) exposed.push(relative(root, path));
    if (!stats.isSymbolicLink() && (stats.mode & 0o077) !== 0)
      ignoreMissing(() => chmodSync(path, stats.mode & 0o7700));
  }
  return exposed;
}

function ignoreMissing<T>(op: () => T): T | undefined {
  try {
    return op();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

/** Creates the directory if needed and (re)tightens it to 0700: other local users must not list it. */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(path, PRIVATE_DIR_MODE);
}

/**
 * Write-then-rename so readers never see a half-written secret or config, with the final mode set
 * on the temporary file before any byte is written (no window where it is world-readable).
 */
export function writeFileAtomic(path: string, data: string | Buffer, mode = SECRET_FILE_MODE): void {
  const tmp = temporaryBeside(path);
  try {
    const fd = openSync(tmp, 'w', mode);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (err) {
    // Nothing half-written is left beside it (a full disk left an empty `.tmp` file), and the
    // error names the file: a write's own says only "ENOSPC: no space left on device, write".
    rmSync(tmp, { force: true });
    const errno = err as NodeJS.ErrnoException;
    if (errno.code) errno.path = path;
    throw err;
  }
}

/**
 * Creates or overwrites a 0600 file in place: one open, no temporary, rename or fsync. For a job's
 * per-launch secrets: written before the job that reads them starts, and a torn write (a crash
 * mid-launch) is rewritten by the next launch; a power loss ends the job with them. A symlink at
 * `path` is refused (ELOOP), never followed.
 */
export function writePrivateFileInPlace(path: string, data: string): void {
  const fd = openSync(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    SECRET_FILE_MODE,
  );
  try {
    fchmodSync(fd, SECRET_FILE_MODE); // a file left by an earlier attempt keeps its old mode otherwise
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

function temporaryBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomHex(4)}.tmp`);
}

/** Tightens an existing file (e.g. one left by an older version) to 0600. */
export function tightenFileMode(path: string, mode = SECRET_FILE_MODE): void {
  try {
    if ((statSync(path).mode & 0o777) !== mode) chmodSync(path, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Creates an empty file with the given mode if it does not exist yet. */
export function touchPrivateFile(path: string, mode = SECRET_FILE_MODE): void {
  closeSync(openSync(path, 'a', mode));
  tightenFileMode(path, mode);
}
