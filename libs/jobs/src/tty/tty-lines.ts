import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { readFully } from './tty-tail';

const NEWLINE = 0x0a;
const CHUNK_BYTES = 256 * 1024;
/** How far apart the remembered counts are (a multiple of CHUNK_BYTES). */
export const LINE_CHECKPOINT_BYTES = 1024 * 1024;
/** How many log files' counts are kept; the least recently read is forgotten first. */
const REMEMBERED_FILES = 64;

/** Per log file: `[k]` is the number of `\n` in its first k × LINE_CHECKPOINT_BYTES bytes. */
const remembered = new Map<string, number[]>();

function checkpointsOf(key: string): number[] {
  const known = remembered.get(key);
  remembered.delete(key); // set again below: the most recently read goes last
  remembered.set(key, known ?? [0]);
  if (remembered.size > REMEMBERED_FILES) remembered.delete(remembered.keys().next().value!);
  return remembered.get(key)!;
}

function newlinesIn(chunk: Buffer): number {
  let count = 0;
  for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, i + 1)) count++;
  return count;
}

/**
 * Line numbers in one open log file, with what earlier reads counted remembered: a count of `\n`
 * every LINE_CHECKPOINT_BYTES up to the furthest point any read reached. A job's log file only
 * grows — the log cap writes a new file and renames it over the old one (tty-base.ts) — so a count
 * stays true for the file it was made in; counts are kept per path, inode, birth time and
 * generation base.
 * Without them every read by line number counted from the start of the file: opening the console's
 * log view does three (~0.5 s per GiB from the page cache, far longer from disk).
 */
export class TtyLines {
  private readonly before: number[];

  /** `stat` is the open file's, `base` its generation's logical start (tty-base.ts). */
  constructor(
    private readonly fh: FileHandle,
    path: string,
    stat: Pick<Stats, 'dev' | 'ino' | 'birthtimeMs'>,
    base: number,
  ) {
    // The birth time too (where the file system keeps one): an inode number can be used again.
    this.before = checkpointsOf(`${stat.dev}:${stat.ino}:${stat.birthtimeMs}:${base}:${path}`);
  }

  /** The number of `\n` bytes in the file's first `to` bytes (fewer where the file is shorter). */
  async newlinesBefore(to: number): Promise<number> {
    return this.walk(Math.min(Math.floor(to / LINE_CHECKPOINT_BYTES), this.before.length - 1), to);
  }

  /** The offset where line `line` (1-based) starts, or `size` when the file has fewer lines. */
  async lineStart(size: number, line: number): Promise<number> {
    const toPass = line - 1;
    if (toPass <= 0) return 0;
    // The last checkpoint with fewer newlines before it than the line needs passed.
    let low = 0;
    for (let high = this.before.length - 1; low < high;) {
      const mid = Math.ceil((low + high) / 2);
      if (this.before[mid] < toPass) low = mid;
      else high = mid - 1;
    }
    let start = size;
    await this.walk(low, size, (chunk, pos, before) => {
      let passed = 0;
      for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, i + 1)) {
        if (before + ++passed === toPass) {
          start = pos + i + 1;
          return null;
        }
      }
      return passed;
    });
    return start;
  }

  /**
   * Reads from checkpoint `k` up to `to` (or the end of the file) in chunks, remembering each
   * checkpoint it passes; returns the number of `\n` before where it stopped. `visit(chunk, pos,
   * newlinesBeforePos)` returns the chunk's count of `\n`, or null to stop before it.
   */
  private async walk(
    k: number,
    to: number,
    visit: (chunk: Buffer, pos: number, newlinesBefore: number) => number | null = newlinesIn,
  ): Promise<number> {
    let pos = k * LINE_CHECKPOINT_BYTES;
    let count = this.before[k];
    while (pos < to) {
      const chunk = await readFully(this.fh, pos, Math.min(CHUNK_BYTES, to - pos));
      const newlines = chunk.length === 0 ? null : visit(chunk, pos, count);
      if (newlines === null) break;
      count += newlines;
      pos += chunk.length;
      // Another read of the same file may have got here first (its counts are the same).
      if (pos % LINE_CHECKPOINT_BYTES === 0 && this.before.length === pos / LINE_CHECKPOINT_BYTES) {
        this.before.push(count);
      }
    }
    return count;
  }
}
