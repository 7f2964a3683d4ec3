import { watch, type FSWatcher } from 'node:fs';
import { stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { NotRegularFileError, openRegularFile } from '../job-written-files';
import { findTtyGeneration, type TtyGeneration } from './tty-base';
import { isMissingFileError, readFully } from './tty-tail';

/** How often a reader re-opens a log the cap keeps replacing before it gives up. */
const REOPEN_ATTEMPTS = 20;

/** Largest chunk handed to `onData` (and so the largest WebSocket frame). */
export const TTY_CHUNK_MAX_BYTES = 1024 * 1024;
/**
 * A slow safety rescan beside fs.watch. Notifications carry the latency; this only bounds the damage
 * of a lost one (inotify queue overflow, a filesystem that does not report some writes).
 */
export const TTY_RESCAN_MS = 5000;

export interface TtyTruncation {
  /** Where reading had got to before the file shrank. */
  previousOffset: number;
  /** The file's size when the shrink was noticed; reading restarts at 0. */
  size: number;
}

export interface TtyDrop {
  /** Where reading had got to (logical offset). */
  previousOffset: number;
  /** Where reading goes on: the start of the new file, its marker line (logical offset). */
  offset: number;
  /** Logical offset of the first byte of kept output: [previousOffset, first) is gone. */
  first: number;
}

export interface TtyFollowerOptions {
  /** New bytes, in file order, never twice. The next read waits for the returned promise (backpressure). */
  onData: (chunk: Buffer) => void | Promise<void>;
  /** The file became shorter than what was already read (rewritten from scratch): reading restarts at 0. */
  onTruncate?: (info: TtyTruncation) => void | Promise<void>;
  /**
   * The log cap dropped output this follower had not read yet: reading goes on at the new file's
   * start (the marker line). Not called when the drop only took bytes already delivered.
   */
  onDrop?: (info: TtyDrop) => void | Promise<void>;
  /** A read or watch failed; the follower has stopped itself. */
  onError?: (err: Error) => void;
  maxChunkBytes?: number;
  /** 0 disables the safety rescan. */
  rescanMs?: number;
}

/**
 * Emits the bytes appended to a job's log from a (logical, see tty-base.ts) start offset on. The job writes the file itself, so the
 * server learns of writes from fs.watch (inotify): one watch on the file, or on its directory until
 * the file is created. Every notification funnels into one read loop, so reads never overlap and
 * bytes are delivered exactly once, in order.
 *
 * When the log cap replaces the file (a rename over it), the old file is read to its end, then the
 * new one from the same logical offset: nothing is lost or repeated unless it was dropped unread.
 */
export class TtyFollower {
  private static watchers = 0;

  /** fs.watch handles currently open across all followers (leak checks in tests, metrics). */
  static get activeWatchers(): number {
    return TtyFollower.watchers;
  }

  /** Logical offset of the next byte; the open file's byte 0 is at `base`. */
  private position: number;
  private base = 0;
  private ino: bigint | null = null;
  private fileWatcher: FSWatcher | null = null;
  private dirWatcher: FSWatcher | null = null;
  private rescanTimer: NodeJS.Timeout | null = null;
  private fh: FileHandle | null = null;
  private pumping: Promise<void> | null = null;
  private dirty = false;
  private started = false;
  private stoppedFlag = false;
  private readonly maxChunkBytes: number;

  constructor(
    readonly path: string,
    offset: number,
    private readonly options: TtyFollowerOptions,
  ) {
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`bad start offset ${offset}`);
    this.position = offset;
    this.maxChunkBytes = options.maxChunkBytes ?? TTY_CHUNK_MAX_BYTES;
  }

  /** The next byte to be read (logical offset); everything before it has been handed to `onData` (or precedes the start). */
  get offset(): number {
    return this.position;
  }

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** True while the file does not exist yet and the directory is being watched for it. */
  get waitingForFile(): boolean {
    return this.started && !this.stoppedFlag && this.fileWatcher === null;
  }

  /** Starts watching and reads whatever is already past the start offset. */
  start(): void {
    if (this.started) throw new Error('TtyFollower already started');
    this.started = true;
    try {
      if (!this.attachFile()) this.watchDirectory();
    } catch (err) {
      this.fail(err);
      return;
    }
    const rescanMs = this.options.rescanMs ?? TTY_RESCAN_MS;
    if (rescanMs > 0) {
      this.rescanTimer = setInterval(() => this.poke(), rescanMs);
      this.rescanTimer.unref();
    }
  }

  /**
   * Reads everything up to the current end of file and resolves once it has been delivered. Called
   * when the job has ended: its last write can land after the exit is noticed but before any
   * notification is processed.
   */
  async drain(): Promise<void> {
    if (!this.started || this.stoppedFlag) return;
    // The file may have been created at the very end, before the directory notification arrived.
    if (this.fileWatcher === null) this.poke();
    if (this.fileWatcher === null) return;
    this.dirty = true;
    this.pumping ??= this.pumpLoop();
    await this.pumping;
  }

  /** Idempotent; closes every watcher at once, and the file once no read is in flight. */
  stop(): void {
    if (this.stoppedFlag) return;
    this.stoppedFlag = true;
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    this.rescanTimer = null;
    this.closeWatcher(this.fileWatcher);
    this.fileWatcher = null;
    this.closeWatcher(this.dirWatcher);
    this.dirWatcher = null;
    if (!this.pumping) this.closeFile();
  }

  private poke(): void {
    if (this.stoppedFlag) return;
    try {
      if (this.fileWatcher === null && !this.attachFile()) return;
    } catch (err) {
      this.fail(err);
      return;
    }
    this.schedule();
  }

  /** Watches the file if it exists; false when it does not (yet). */
  private attachFile(): boolean {
    let watcher: FSWatcher;
    try {
      watcher = this.openWatcher(this.path, () => this.schedule());
    } catch (err) {
      if (isMissingFileError(err)) return false;
      throw err;
    }
    this.fileWatcher = watcher;
    this.closeWatcher(this.dirWatcher);
    this.dirWatcher = null;
    this.schedule();
    return true;
  }

  private watchDirectory(): void {
    const name = basename(this.path);
    this.dirWatcher = this.openWatcher(dirname(this.path), (_event, filename) => {
      if (filename === null || filename === name) this.poke();
    });
    // The file may have been created between the first attempt and the directory watch.
    this.poke();
  }

  private openWatcher(target: string, listener: (event: string, filename: string | null) => void): FSWatcher {
    const watcher = watch(target, { encoding: 'utf8' }, listener);
    TtyFollower.watchers++;
    watcher.on('error', (err) => this.fail(err));
    return watcher;
  }

  private closeWatcher(watcher: FSWatcher | null): void {
    if (!watcher) return;
    watcher.close();
    TtyFollower.watchers--;
  }

  private schedule(): void {
    if (this.stoppedFlag || this.fileWatcher === null) return;
    // A notification during a read only marks the file dirty: the running loop does another pass.
    this.dirty = true;
    this.pumping ??= this.pumpLoop();
  }

  private async pumpLoop(): Promise<void> {
    try {
      while (this.dirty && !this.stoppedFlag) {
        this.dirty = false;
        await this.readToEnd();
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.pumping = null;
      if (this.stoppedFlag) this.closeFile();
    }
  }

  /**
   * One pass: everything between the current offset and the end of the file seen at the start of
   * the pass; then, if the log cap replaced the file meanwhile, the rest of the old one and the new.
   */
  private async readToEnd(): Promise<void> {
    if (!this.fh && !(await this.openFile())) return;
    for (;;) {
      await this.readFileToEnd();
      const ino = await this.inodeAtPath();
      // Same file, or deleted (the job was): keep reading what is open.
      if (this.stoppedFlag || ino === null || ino === this.ino) return;
      // Replaced: the monitor writes nothing more to the old file, so this read completes it.
      await this.readFileToEnd();
      if (this.stoppedFlag) return;
      this.closeFile();
      this.closeWatcher(this.fileWatcher);
      this.fileWatcher = this.openWatcher(this.path, () => this.schedule());
      if (!(await this.openFile())) return;
    }
  }

  /** Opens the file at the path and places the offset in it; false when it does not exist. */
  private async openFile(): Promise<boolean> {
    let generation: TtyGeneration | null = null;
    // A generation the sidecar no longer lists was replaced twice since it was opened (the log cap
    // outran this reader): open the path again rather than guess its offsets.
    for (let attempt = 0; generation === null; attempt++) {
      try {
        this.fh = await openRegularFile(this.path);
      } catch (err) {
        // Deleted right after creation, or replaced by what is not a file: the next notification retries.
        if (isMissingFileError(err) || err instanceof NotRegularFileError) return false;
        throw err;
      }
      this.ino = (await this.fh.stat({ bigint: true })).ino;
      generation = await findTtyGeneration(this.path, this.ino);
      if (generation === null) {
        this.closeFile();
        if (attempt >= REOPEN_ATTEMPTS)
          throw new Error(`${this.path}: its log generation is not in the sidecar`);
      }
    }
    const { base, first } = generation;
    this.base = base;
    if (this.position < first) {
      const previousOffset = this.position;
      this.position = base;
      await this.options.onDrop?.({ previousOffset, offset: base, first });
    }
    return true;
  }

  private async inodeAtPath(): Promise<bigint | null> {
    try {
      return (await stat(this.path, { bigint: true })).ino;
    } catch (err) {
      if (isMissingFileError(err)) return null;
      throw err;
    }
  }

  private async readFileToEnd(): Promise<void> {
    const fh = this.fh!;
    const end = this.base + (await fh.stat()).size;
    if (end < this.position) {
      const previousOffset = this.position;
      this.position = this.base;
      await this.options.onTruncate?.({ previousOffset, size: end - this.base });
    }
    while (this.position < end && !this.stoppedFlag) {
      const at = this.position - this.base;
      const chunk = await readFully(fh, at, Math.min(this.maxChunkBytes, end - this.position));
      if (chunk.length === 0 || this.stoppedFlag) return; // shrank under us: the next pass sees it
      this.position += chunk.length;
      await this.options.onData(chunk);
    }
  }

  private fail(err: unknown): void {
    if (this.stoppedFlag) return;
    this.stop();
    this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
  }

  private closeFile(): void {
    const fh = this.fh;
    this.fh = null;
    fh?.close().catch(() => undefined);
  }
}
