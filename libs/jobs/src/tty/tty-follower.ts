import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { isMissingFileError, readFully } from './tty-tail';

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

export interface TtyFollowerOptions {
  /** New bytes, in file order, never twice. The next read waits for the returned promise (backpressure). */
  onData: (chunk: Buffer) => void | Promise<void>;
  /** The file became shorter than what was already read (rewritten from scratch): reading restarts at 0. */
  onTruncate?: (info: TtyTruncation) => void | Promise<void>;
  /** A read or watch failed; the follower has stopped itself. */
  onError?: (err: Error) => void;
  maxChunkBytes?: number;
  /** 0 disables the safety rescan. */
  rescanMs?: number;
}

/**
 * Emits the bytes appended to a file from a start offset on. The job writes the file itself, so the
 * server learns of writes from fs.watch (inotify): one watch on the file, or on its directory until
 * the file is created. Every notification funnels into one read loop, so reads never overlap and
 * bytes are delivered exactly once, in order.
 *
 * Not handled: the file being replaced by a new inode (renamed over / deleted and recreated); the
 * job side only ever opens the path once, so the open handle keeps reading the file that was found.
 */
export class TtyFollower {
  private static watchers = 0;

  /** fs.watch handles currently open across all followers (leak checks in tests, metrics). */
  static get activeWatchers(): number {
    return TtyFollower.watchers;
  }

  private position: number;
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

  /** The next byte to be read; everything before it has been handed to `onData` (or precedes the start). */
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

  /** One pass: everything between the current offset and the size seen at the start of the pass. */
  private async readToEnd(): Promise<void> {
    if (!this.fh) {
      try {
        this.fh = await open(this.path, 'r');
      } catch (err) {
        if (isMissingFileError(err)) return; // deleted right after creation; the next notification retries
        throw err;
      }
    }
    const fh = this.fh;
    const { size } = await fh.stat();
    if (size < this.position) {
      const previousOffset = this.position;
      this.position = 0;
      await this.options.onTruncate?.({ previousOffset, size });
    }
    while (this.position < size && !this.stoppedFlag) {
      const chunk = await readFully(fh, this.position, Math.min(this.maxChunkBytes, size - this.position));
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
