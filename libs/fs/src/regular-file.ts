import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { codedError } from './fs-errors';

/** The most readRegularFile reads unless told otherwise: 8 MiB. */
export const MAX_REGULAR_FILE_BYTES = 8 * 1024 * 1024;

/**
 * A regular file's text, never through a symbolic link as its last component (O_NOFOLLOW: such a
 * link fails with ELOOP, so a README.md linked to a file outside a root is not read) and never a
 * FIFO or device (opened O_NONBLOCK, then fstat: it would block or never end). Rejects as readFile
 * does (ENOENT, ELOOP, EACCES, …), and with an Error naming the path whose `code` is `EISDIR` for a
 * directory, `ERR_NOT_REGULAR_FILE` for anything else that is not a regular file, `EFBIG` when it
 * holds more than `maxBytes`.
 */
export async function readRegularFile(path: string, maxBytes = MAX_REGULAR_FILE_BYTES): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw codedError('EISDIR', `${path} is a directory`);
    if (!st.isFile()) throw codedError('ERR_NOT_REGULAR_FILE', `${path} is not a regular file`);
    if (st.size > maxBytes) throw codedError('EFBIG', `${path} holds more than ${maxBytes} bytes`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
