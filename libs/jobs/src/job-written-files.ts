import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Files a job can replace (its log, its control directory, a token file its trainer names) are read
 * through these: a job may put a FIFO or a device there, and a plain open of a FIFO blocks until a
 * writer comes — on the event loop (sync) or in one of libuv's four file threads (async), where a few
 * such opens stall every other file read of the server. Opened with O_NONBLOCK (a FIFO opens at once,
 * a regular file reads as ever), then anything but a regular file is refused with an error whose
 * `code` is `ENOTREGULAR`.
 */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREGULAR';
  constructor(readonly path: string) {
    super(`${path} is not a regular file`);
    this.name = 'NotRegularFileError';
  }
}

/** Opens `path` for reading when it is a regular file (see NotRegularFileError); ENOENT etc. as `open` throws them. */
export async function openRegularFile(path: string): Promise<FileHandle> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await fh.stat()).isFile()) throw new NotRegularFileError(path);
  } catch (err) {
    await fh.close();
    throw err;
  }
  return fh;
}

/** A small regular file's text (at most `maxBytes`; more is an error), read without blocking a libuv thread on a FIFO. */
export async function readRegularFile(path: string, maxBytes = 64 * 1024): Promise<string> {
  const fh = await openRegularFile(path);
  try {
    const { size } = await fh.stat();
    if (size > maxBytes) throw new Error(`${path} is larger than ${maxBytes} bytes`);
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * A small regular file's text, read synchronously (at most `maxBytes`; more is an error): what a job
 * or its trainer wrote (see NotRegularFileError). Throws as `openSync` does for a missing file.
 */
export function readRegularFileSync(path: string, maxBytes = 64 * 1024): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new NotRegularFileError(path);
    if (stat.size > maxBytes) throw new Error(`${path} is larger than ${maxBytes} bytes`);
    const buffer = Buffer.alloc(stat.size);
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return buffer.toString('utf8', 0, filled);
  } finally {
    closeSync(fd);
  }
}
