import type { FileHandle } from 'node:fs/promises';
import { NotRegularFileError, openRegularFile } from '../job-written-files';
import { findTtyGeneration, generationOfOpened, readTtyGeneration, rememberTtyGeneration } from './tty-base';

/** The most a client gets of an old log in one go: enough for any real scrollback, bounded memory. */
export const TTY_TAIL_MAX_BYTES = 32 * 1024 * 1024;

const NEWLINE = 0x0a;
const SCAN_CHUNK = 64 * 1024;
/** How often a read re-opens a log the cap keeps replacing before it gives up. */
const REOPEN_ATTEMPTS = 20;

/**
 * The job has no output file (not started yet, or it was collected); the HTTP layer maps it to 404.
 * A plain Error, not a DomainError: this folder stays free of Nest so benches run it bare.
 */
export class TtyLogMissingError extends Error {
  constructor(readonly path: string) {
    // The path stays a property, out of the message: clients must not learn server paths.
    super('no output recorded for this job');
    this.name = 'TtyLogMissingError';
  }
}

export function isMissingFileError(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * Opens a log for reading, turning ENOENT — and a log the job replaced by something that is not a
 * file (a FIFO, whose open would block: see openRegularFile) — into TtyLogMissingError.
 */
export async function openTtyLog(path: string): Promise<FileHandle> {
  // A file the log cap replaced twice since it was opened has offsets nobody knows any more: the
  // path is opened again (see generationOfOpened); its generation is remembered for readTtyGeneration.
  for (let attempt = 0; ; attempt++) {
    let fh: FileHandle;
    try {
      fh = await openRegularFile(path);
    } catch (err) {
      if (isMissingFileError(err) || err instanceof NotRegularFileError) throw new TtyLogMissingError(path);
      throw err;
    }
    const generation = await generationOfOpened(path, fh).catch(async (err: unknown) => {
      await fh.close();
      throw err;
    });
    if (generation) {
      rememberTtyGeneration(fh, generation);
      return fh;
    }
    await fh.close();
    if (attempt >= REOPEN_ATTEMPTS) throw new Error(`${path}: its log generation is not in the sidecar`);
  }
}

/** Positional read that keeps going until `length` bytes or EOF (a single read may return less). */
export async function readFully(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await fh.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/**
 * Where the tail of a `size`-byte file starts: 0 when it fits, else the first line start inside the
 * last `maxBytes` (so the client never sees half a line), or the window start if it holds no newline.
 * The byte just before the window is included in the scan: if it is a newline the window already
 * starts on a line boundary and nothing is skipped.
 */
export async function findTailStart(fh: FileHandle, size: number, maxBytes: number): Promise<number> {
  if (size <= maxBytes) return 0;
  const windowStart = size - maxBytes;
  // Scan forward in small chunks: a long first line costs reads, never a big allocation.
  for (let pos = windowStart - 1; pos < size; pos += SCAN_CHUNK) {
    const chunk = await readFully(fh, pos, Math.min(SCAN_CHUNK, size - pos));
    const index = chunk.indexOf(NEWLINE);
    // A newline that is the last byte leaves nothing after it: better the window than an empty tail.
    if (index >= 0) return pos + index + 1 < size ? pos + index + 1 : windowStart;
    if (chunk.length === 0) break;
  }
  return windowStart;
}

export interface TtyTail {
  data: Buffer;
  /** True when the beginning of the output was left out (here, or dropped by the log cap). */
  truncated: boolean;
  /** Logical offset just past `data` (the output's size when read): where a follower continues. */
  size: number;
}

/** The last ≤ maxBytes of a job's output starting on a line boundary, read positionally. */
export async function readTtyTail(path: string, maxBytes = TTY_TAIL_MAX_BYTES): Promise<TtyTail> {
  const fh = await openTtyLog(path);
  try {
    const { size } = await fh.stat();
    const { base } = await readTtyGeneration(path, fh);
    const start = await findTailStart(fh, size, maxBytes);
    const data = await readFully(fh, start, size - start);
    return { data, truncated: start > 0 || base > 0, size: base + start + data.length };
  } finally {
    await fh.close();
  }
}

export interface TtyChunk {
  /** Output bytes from `offset` on (empty at the end of the output, or when there is no log yet). */
  data: Buffer;
  /**
   * Logical offset of `data`'s first byte: the offset asked for, or, when the log cap dropped output
   * from there, the start of the file that replaced it (its marker line).
   */
  offset: number;
  /** Bytes of output from the offset asked for up to the oldest kept output, dropped by the log cap; 0 if none. */
  dropped: number;
}

/**
 * Up to `maxBytes` of a job's output from logical offset `offset` (see tty-base.ts), read once — for
 * readers that keep no file open between reads (a remote node's follower). When the log cap dropped
 * output at `offset`, the chunk starts at the marker line and says how much was dropped, as
 * TtyFollower's onDrop does.
 */
export async function readTtyAt(path: string, offset: number, maxBytes: number): Promise<TtyChunk> {
  for (let attempt = 0; ; attempt++) {
    let fh: FileHandle;
    try {
      fh = await openRegularFile(path);
    } catch (err) {
      if (isMissingFileError(err) || err instanceof NotRegularFileError)
        return { data: Buffer.alloc(0), offset, dropped: 0 };
      throw err;
    }
    try {
      const { ino, size } = await fh.stat({ bigint: true });
      const generation = await findTtyGeneration(path, ino);
      // Replaced twice since the path was opened (the cap outran this read): open it again.
      if (generation === null) {
        if (attempt < REOPEN_ATTEMPTS) continue;
        throw new Error(`${path}: its log generation is not in the sidecar`);
      }
      const { base, first } = generation;
      const start = offset < first ? base : offset;
      const end = base + Number(size);
      const data =
        start < end ? await readFully(fh, start - base, Math.min(maxBytes, end - start)) : Buffer.alloc(0);
      return { data, offset: start, dropped: offset < first ? first - offset : 0 };
    } finally {
      await fh.close();
    }
  }
}
