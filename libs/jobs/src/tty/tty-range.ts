import { stripVTControlCharacters } from 'node:util';
import type { FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { readTtyGeneration } from './tty-base';
import { TtyLines } from './tty-lines';
import { openTtyLog, readFully } from './tty-tail';

// Reads of a job's log by line number, and a search of the whole log, for a viewer whose terminal
// only keeps the last lines. Both stream through the file in fixed chunks: memory stays bounded
// whatever the log's size. Lines are numbered from 1; line N starts after the (N-1)th `\n` of the
// file as it is (after the log cap dropped the oldest output, line 1 is the marker line). Byte
// offsets are logical (see tty-base.ts): they stay valid when the oldest output is dropped.

const NEWLINE = 0x0a;
const CHUNK_BYTES = 256 * 1024;

/** The most one range read returns, whatever `lines` asks for. */
export const TTY_RANGE_MAX_BYTES = 8 * 1024 * 1024;
/** The most lines one range read returns. */
export const TTY_RANGE_MAX_LINES = 50_000;

export interface TtyRange {
  /** The raw bytes (ANSI escapes included) from `offset` to `end`. */
  data: Buffer;
  /** Number of the line `data` starts in (1-based). */
  line: number;
  /** Logical byte offset of the first byte of `data`. */
  offset: number;
  /** Logical byte offset just past `data`. */
  end: number;
  /** Complete lines in `data` (a last line without `\n` at the end of the file counts too). */
  lines: number;
  /** The output's logical size when read (the end of the file). */
  size: number;
}

/**
 * The offset where the last `count` lines start (0 when the file has no more), reading back from the
 * end: a last line without `\n` counts as one, as `tail -n` counts it.
 */
async function lastLinesStart(fh: FileHandle, size: number, count: number): Promise<number> {
  if (count === 0 || size === 0) return size;
  // The newline that ends the file ends the last line: it does not start one.
  let toPass = count + ((await readFully(fh, size - 1, 1))[0] === NEWLINE ? 1 : 0);
  for (let to = size; to > 0;) {
    const from = Math.max(0, to - CHUNK_BYTES);
    const chunk = await readFully(fh, from, to - from);
    for (let i = chunk.lastIndexOf(NEWLINE); i >= 0; i = i > 0 ? chunk.lastIndexOf(NEWLINE, i - 1) : -1) {
      if (--toPass === 0) return from + i + 1;
    }
    to = from;
  }
  return 0;
}

/**
 * The logical offset (see tty-base.ts) where the last `count` lines of a job's log start, as
 * `tail -n` counts them; the end for 0. Reads back from the end only: no line number is counted.
 * @throws TtyLogMissingError when the job has no log file.
 */
export async function ttyLastLinesOffset(path: string, count: number): Promise<number> {
  const fh = await openTtyLog(path);
  try {
    const { size } = await fh.stat();
    const { base } = await readTtyGeneration(path, fh);
    return base + (await lastLinesStart(fh, size, count));
  } finally {
    await fh.close();
  }
}

/**
 * Up to `lines` lines of a job's log (at most TTY_RANGE_MAX_LINES and TTY_RANGE_MAX_BYTES), starting
 * at line number `from.line`, at byte `from.offset`, or `from.last` lines before the end (then `line`
 * says which line that is; `lines: 0` only asks that). Past the end: empty data at the file's size.
 * @throws TtyLogMissingError when the job has no log file.
 */
export async function readTtyRange(
  path: string,
  from: { line: number } | { offset: number } | { last: number },
  lines: number,
): Promise<TtyRange> {
  const fh = await openTtyLog(path);
  try {
    const stat = await fh.stat();
    const size = stat.size;
    const { base } = await readTtyGeneration(path, fh);
    const numbers = new TtyLines(fh, path, stat, base);
    let offset: number;
    let line: number;
    if ('line' in from) {
      offset = await numbers.lineStart(size, from.line);
      line = offset < size ? from.line : (await numbers.newlinesBefore(size)) + 1;
    } else if ('last' in from) {
      offset = await lastLinesStart(fh, size, from.last);
      line = (await numbers.newlinesBefore(offset)) + 1;
    } else {
      // An offset that was dropped reads from the start of what is kept (the marker line).
      offset = Math.min(Math.max(from.offset - base, 0), size);
      line = (await numbers.newlinesBefore(offset)) + 1;
    }
    const want = Math.min(lines, TTY_RANGE_MAX_LINES);
    let end = offset;
    let got = 0;
    while (got < want && end < size && end - offset < TTY_RANGE_MAX_BYTES) {
      const room = TTY_RANGE_MAX_BYTES - (end - offset);
      const chunk = await readFully(fh, end, Math.min(CHUNK_BYTES, size - end, room));
      if (chunk.length === 0) break;
      let cut = chunk.length;
      for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, i + 1)) {
        if (++got === want) {
          cut = i + 1;
          break;
        }
      }
      end += cut;
    }
    // A last line with no newline yet counts once it is all there.
    if (got < want && end === size && end > offset) {
      const last = await readFully(fh, end - 1, 1);
      if (last[0] !== NEWLINE) got++;
    }
    const data = end > offset ? await readFully(fh, offset, end - offset) : Buffer.alloc(0);
    return {
      data,
      line,
      offset: base + offset,
      end: base + offset + data.length,
      lines: got,
      size: base + size,
    };
  } finally {
    await fh.close();
  }
}

export interface TtySearchOptions {
  /** Plain text (default) or a JavaScript regular expression source (`regex: true`). */
  query: string;
  regex?: boolean;
  caseSensitive?: boolean;
  /** Stop after this many matches (`truncated` is then true). */
  limit: number;
  /** Stop scanning after this long (`timed_out` is then true). */
  timeBudgetMs?: number;
  /**
   * Only the first this-many characters of a line are searched (default 1,048,576); lines longer
   * than that are counted in `lines_cut`.
   */
  maxLineChars?: number;
  /** How much of a matching line is returned, around its first match (default 4,096 characters). */
  textChars?: number;
}

export interface TtySearchMatch {
  /** Line number (1-based). */
  line: number;
  /** Logical byte offset where the line starts. */
  offset: number;
  /**
   * The line with ANSI escapes removed: its first `textChars` characters, or, when the first match
   * lies past them, `textChars` characters from a little before the match.
   */
  text: string;
  /** Where `text` starts in the line, in characters (0: the line's start). */
  column: number;
}

export interface TtySearchResult {
  matches: TtySearchMatch[];
  /** More lines matched than `limit`: the search stopped there. */
  truncated: boolean;
  /** The time budget ran out before the end of the file. */
  timed_out: boolean;
  /** Logical offset the scan reached: the output's size unless truncated or timed out. */
  scanned_bytes: number;
  /** Lines scanned. */
  scanned_lines: number;
  /** Scanned lines longer than `maxLineChars`: only their first `maxLineChars` characters were searched. */
  lines_cut: number;
}

/** Thrown for a `regex` query that does not compile; the HTTP layer maps it to 400 (`q`). */
export class TtySearchQueryError extends Error {}

/** Compiles the query; plain text is escaped, so it matches literally. */
export function compileTtyQuery(query: string, regex = false, caseSensitive = false): RegExp {
  const source = regex ? query : query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  try {
    return new RegExp(source, caseSensitive ? 'u' : 'iu');
  } catch (err) {
    throw new TtySearchQueryError(`q is not a valid regular expression: ${(err as Error).message}`);
  }
}

/** What a line of terminal output reads as: ANSI escapes, the line's `\r\n` end and NULs removed. */
export function plainLine(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return stripVTControlCharacters(raw).replace(/\r$/, '').replace(/\x00/g, '');
}

/** One matching line: its index in the batch, where its first match starts and ends (characters). */
type LineHit = [index: number, start: number, end: number];

/** Tests lines against the query: which of `lines` match, and where. */
interface LineMatcher {
  /** Resolves null when the time budget ran out first. */
  test(lines: string[]): Promise<LineHit[] | null>;
  close(): Promise<void>;
}

function inThreadMatcher(pattern: RegExp): LineMatcher {
  return {
    test: (lines) =>
      Promise.resolve(
        lines.flatMap((line, i): LineHit[] => {
          const m = pattern.exec(line);
          return m ? [[i, m.index, m.index + m[0].length]] : [];
        }),
      ),
    close: () => Promise.resolve(),
  };
}

// A user's regular expression can backtrack for minutes on one line ("(a+)+$"), and a running
// regex cannot be interrupted: it runs in a worker thread that is terminated when time is up.
const REGEX_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const pattern = new RegExp(workerData.source, workerData.flags);
parentPort.on('message', (lines) => {
  const hits = [];
  for (let i = 0; i < lines.length; i++) {
    const m = pattern.exec(lines[i]);
    if (m) hits.push([i, m.index, m.index + m[0].length]);
  }
  parentPort.postMessage(hits);
});`;

function workerMatcher(pattern: RegExp, deadline: number): LineMatcher {
  const worker = new Worker(REGEX_WORKER, {
    eval: true,
    workerData: { source: pattern.source, flags: pattern.flags },
    resourceLimits: { maxOldGenerationSizeMb: 64 },
  });
  worker.unref();
  return {
    test: (lines) =>
      new Promise((resolve, reject) => {
        const onMessage = (hits: LineHit[]) => finish(hits);
        const onError = (err: Error) => finish(null, err);
        const finish = (hits: LineHit[] | null, err?: Error) => {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('error', onError);
          if (err) reject(err);
          else resolve(hits);
        };
        const timer = setTimeout(() => finish(null), Math.max(0, deadline - Date.now()));
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.postMessage(lines);
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}

/** Default `maxLineChars`: the most of one line a search reads (a `\r` progress bar is one line). */
const SEARCH_LINE_CHARS = 1024 * 1024;
/** Default `textChars`. */
const SEARCH_TEXT_CHARS = 4096;
/** Characters kept before a match that lies past the line's first `textChars`. */
const SEARCH_TEXT_LEAD = 256;

/** The part of a matching line returned: its start, or a window from a little before the match. */
function matchText(
  line: string,
  start: number,
  end: number,
  textChars: number,
): { text: string; column: number } {
  if (end <= textChars) return { text: line.slice(0, textChars), column: 0 };
  let column = Math.max(0, start - SEARCH_TEXT_LEAD);
  const code = line.charCodeAt(column);
  if (code >= 0xdc00 && code <= 0xdfff) column--; // not half a surrogate pair
  return { text: line.slice(column, column + textChars), column };
}

/**
 * Searches a job's whole log line by line, ANSI escapes stripped (invalid UTF-8 reads as U+FFFD),
 * streaming through the file: the first `limit` matching lines in file order. Each line is searched
 * up to `maxLineChars` (lines cut there are counted in `lines_cut`). A regex runs in a worker
 * thread, so a pathological one costs at most the time budget.
 * @throws TtyLogMissingError when the job has no log file; TtySearchQueryError for a bad regex.
 */
export async function searchTty(path: string, options: TtySearchOptions): Promise<TtySearchResult> {
  const pattern = compileTtyQuery(options.query, options.regex, options.caseSensitive);
  const maxChars = options.maxLineChars ?? SEARCH_LINE_CHARS;
  const textChars = options.textChars ?? SEARCH_TEXT_CHARS;
  const deadline = Date.now() + (options.timeBudgetMs ?? 5000);
  const maxLineBytes = maxChars * 4;
  const decoder = new TextDecoder('utf-8');
  const fh = await openTtyLog(path);
  let base = 0;
  const matcher = options.regex ? workerMatcher(pattern, deadline) : inThreadMatcher(pattern);
  const result: TtySearchResult = {
    matches: [],
    truncated: false,
    timed_out: false,
    scanned_bytes: 0,
    scanned_lines: 0,
    lines_cut: 0,
  };
  /** A finished line waiting to be tested: `cut` when it was longer than maxChars. */
  interface ScannedLine {
    line: number;
    offset: number;
    text: string;
    cut: boolean;
  }
  // Lines finished in the current chunk, tested together.
  let batch: ScannedLine[] = [];
  // The current line's first bytes (up to maxLineBytes); the rest of a long line is only counted.
  let parts: Buffer[] = [];
  let partBytes = 0;
  let dropped = false;
  let line = 1;
  let lineOffset = 0;
  const finishLine = () => {
    const decoded = decoder.decode(Buffer.concat(parts, partBytes));
    const cut = dropped || decoded.length > maxChars;
    batch.push({
      line,
      offset: base + lineOffset,
      text: plainLine(cut ? decoded.slice(0, maxChars) : decoded),
      cut,
    });
    parts = [];
    partBytes = 0;
    dropped = false;
  };
  const keep = (bytes: Buffer) => {
    const slice = bytes.subarray(0, Math.max(0, maxLineBytes - partBytes));
    if (slice.length < bytes.length) dropped = true;
    if (!slice.length) return;
    parts.push(Buffer.from(slice));
    partBytes += slice.length;
  };
  /** Tests the batch; false once the search must stop (limit reached or out of time). */
  const testBatch = async (): Promise<boolean> => {
    const lines = batch;
    batch = [];
    if (!lines.length) return true;
    const hits = await matcher.test(lines.map((l) => l.text));
    if (hits === null) {
      result.timed_out = true;
      return false;
    }
    for (const [index, start, end] of hits) {
      const found = lines[index];
      if (result.matches.length === options.limit) {
        result.truncated = true;
        result.scanned_bytes = found.offset; // logical already
        result.scanned_lines = found.line - 1;
        result.lines_cut += lines.slice(0, index).filter((l) => l.cut).length;
        return false;
      }
      result.matches.push({
        line: found.line,
        offset: found.offset,
        ...matchText(found.text, start, end, textChars),
      });
    }
    result.scanned_lines = lines[lines.length - 1].line;
    result.lines_cut += lines.filter((l) => l.cut).length;
    return true;
  };
  try {
    const { size } = await fh.stat();
    base = (await readTtyGeneration(path, fh)).base;
    let pos = 0;
    while (pos < size) {
      if (Date.now() > deadline) {
        result.timed_out = true;
        break;
      }
      const chunk = await readFully(fh, pos, Math.min(CHUNK_BYTES, size - pos));
      if (chunk.length === 0) break;
      let start = 0;
      for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, start)) {
        keep(chunk.subarray(start, i));
        finishLine();
        start = i + 1;
        line++;
        lineOffset = pos + start;
      }
      keep(chunk.subarray(start));
      pos += chunk.length;
      if (!(await testBatch())) return result;
      result.scanned_bytes = base + lineOffset;
    }
    if (!result.timed_out && partBytes > 0) {
      finishLine();
      if (!(await testBatch())) return result;
    }
    if (!result.timed_out) result.scanned_bytes = base + pos;
    return result;
  } finally {
    await Promise.all([fh.close(), matcher.close()]);
  }
}
