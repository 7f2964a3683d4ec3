import { DomainError, type ErrorCode } from '@trainyard/core';

/** How each errno a file operation can meet reaches the client: always a 4xx (or 507) naming the field. */
const ERRNO: Record<string, [ErrorCode, string]> = {
  ENOENT: ['PATH_NOT_FOUND', 'does not exist'],
  EACCES: ['FORBIDDEN', 'is not accessible to the server (permission denied)'],
  EPERM: ['FORBIDDEN', 'may not be changed by the server (operation not permitted)'],
  EROFS: ['FORBIDDEN', 'is on a read-only file system'],
  ENOTDIR: ['VALIDATION_FAILED', 'is not a directory (or goes through something that is not one)'],
  EISDIR: ['VALIDATION_FAILED', 'is a directory'],
  ELOOP: ['VALIDATION_FAILED', 'goes through a symbolic link'],
  ENAMETOOLONG: ['VALIDATION_FAILED', 'is too long'],
  EINVAL: ['VALIDATION_FAILED', 'is not a valid target (e.g. a directory into itself)'],
  ERR_FS_CP_EINVAL: ['VALIDATION_FAILED', 'cannot be copied into itself'],
  ERR_FS_CP_DIR_TO_NON_DIR: ['VALIDATION_FAILED', 'is a directory and the target is not'],
  ERR_FS_CP_NON_DIR_TO_DIR: ['VALIDATION_FAILED', 'is not a directory and the target is one'],
  ERR_FS_CP_SYMLINK_TO_SUBDIRECTORY: ['VALIDATION_FAILED', 'holds a symbolic link into the copy'],
  ERR_FS_CP_FIFO_PIPE: ['VALIDATION_FAILED', 'holds a named pipe, which cannot be copied'],
  ERR_FS_CP_SOCKET: ['VALIDATION_FAILED', 'holds a socket, which cannot be copied'],
  ERR_FS_CP_UNKNOWN: ['VALIDATION_FAILED', 'holds a file of a kind that cannot be copied'],
  ERR_FS_EISDIR: ['VALIDATION_FAILED', 'is a directory'],
  // readRegularFile's own
  ERR_NOT_REGULAR_FILE: ['VALIDATION_FAILED', 'is not a regular file (a named pipe, socket or device)'],
  EFBIG: ['VALIDATION_FAILED', 'is too large to read'],
  EEXIST: ['PATH_EXISTS', 'already exists'],
  ERR_FS_CP_EEXIST: ['PATH_EXISTS', 'already exists'],
  ENOTEMPTY: ['PATH_EXISTS', 'already exists and is not empty'],
  EBUSY: ['CONFLICT', 'is busy (a mount point or in use)'],
  ETXTBSY: ['CONFLICT', 'is busy (a running executable)'],
  ENOSPC: ['DISK_FULL', 'cannot be written: no space left on the device'],
  EDQUOT: ['DISK_FULL', 'cannot be written: disk quota exceeded'],
};

/**
 * A DomainError for a failed file operation on `path` (given as `field`); errors that are not a known
 * errno are returned as they are (a 500: a bug, not bad input).
 */
export function fsError(err: unknown, field: string, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const known = code ? ERRNO[code] : undefined;
  if (!known) return err;
  const message = `${field} ${path} ${known[1]}`;
  return new DomainError(known[0], message, [{ field, message }]);
}

/** Runs `op`, turning a known errno into the DomainError for `field` (see {@link fsError}). */
export async function onPath<T>(field: string, path: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw fsError(err, field, path);
  }
}

/** An error with a code as fs errors have, so that {@link onPath} maps it to a 4xx as it does theirs. */
export function codedError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}
