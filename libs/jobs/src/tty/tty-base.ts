import { stat, type FileHandle } from 'node:fs/promises';
import { NotRegularFileError, readRegularFile } from '../job-written-files';
import { isMissingFileError } from './tty-tail';

// A job's log is capped (see capped_log in libs/scheduler/src/launcher/trainyard-monitor.c): past the
// cap the monitor replaces the file by one that starts with a marker line and holds the newest
// output. Offsets the API gives out are logical — byte N of the job's whole output keeps the number
// N — so a client that resumes after a drop still lands on the right byte. The sidecar
// `<log>.base` maps each file generation (by inode) to its logical offsets; it is written before the
// new file is renamed into place, so whoever opened the new file finds its line.

/** Where a log file generation lies in the job's whole output. */
export interface TtyGeneration {
  /** Logical offset of the file's byte 0 (the marker line's first byte after a drop). */
  base: number;
  /** Logical offset of the first byte of kept output (after the marker); 0 if nothing was dropped. */
  first: number;
}

const ORIGINAL: TtyGeneration = { base: 0, first: 0 };

export function ttyBasePath(path: string): string {
  return `${path}.base`;
}

/** Generations of log files opened by openTtyLog (an inode's never changes). */
const openedGenerations = new WeakMap<FileHandle, TtyGeneration>();

/** Remembers `fh`'s generation, as {@link generationOfOpened} found it, for readTtyGeneration. */
export function rememberTtyGeneration(fh: FileHandle, generation: TtyGeneration): void {
  openedGenerations.set(fh, generation);
}

/** The generation of the log file open as `fh` (an original file, never capped: base 0). */
export async function readTtyGeneration(path: string, fh: FileHandle): Promise<TtyGeneration> {
  const known = openedGenerations.get(fh);
  if (known) return known;
  const { ino } = await fh.stat({ bigint: true });
  return ttyGenerationOf(path, ino);
}

/**
 * The generation of `fh`, the log file just opened at `path`. A file the sidecar does not list is
 * the original (base 0) while the path still names it — the sidecar gets its first line just before
 * the first replacement — and otherwise was replaced twice since it was opened (the sidecar keeps
 * two lines): null, open the path again. (Taking every unlisted file for the original gave such a
 * reader offsets from 0, when the log cap replaced a fast log twice between its open and this read.)
 */
export async function generationOfOpened(path: string, fh: FileHandle): Promise<TtyGeneration | null> {
  const { ino } = await fh.stat({ bigint: true });
  const found = await findTtyGeneration(path, ino);
  if (found) return found;
  const atPath = await stat(path, { bigint: true }).then(
    (s) => s.ino,
    () => null,
  );
  return atPath === ino ? ORIGINAL : null;
}

/** The generation of the log file with inode `ino`, from the sidecar. */
export async function ttyGenerationOf(path: string, ino: bigint): Promise<TtyGeneration> {
  return (await findTtyGeneration(path, ino)) ?? ORIGINAL;
}

/**
 * The generation of the log file with inode `ino`; null when the sidecar exists but no longer has
 * its line — it keeps the last two generations, so the file was replaced twice since it was opened
 * and whoever holds it should open the path again. No sidecar: never capped (base 0).
 */
export async function findTtyGeneration(path: string, ino: bigint): Promise<TtyGeneration | null> {
  let text: string;
  try {
    text = await readRegularFile(ttyBasePath(path));
  } catch (err) {
    // Not a file (a job put a FIFO there): as good as none — the log's offsets are then its own.
    if (isMissingFileError(err) || err instanceof NotRegularFileError) return ORIGINAL;
    throw err;
  }
  const key = String(ino);
  for (const line of text.split('\n')) {
    const [inode, base, first] = line.trim().split(/\s+/);
    if (inode === key && base !== undefined && first !== undefined)
      return { base: Number(base), first: Number(first) };
  }
  return null;
}
