import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';

export const SECRET_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

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
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, mode);
  renameSync(tmp, path);
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
