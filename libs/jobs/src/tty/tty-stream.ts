import type { FileHandle } from 'node:fs/promises';
import { WebSocket } from 'ws';
import { TTY_CHUNK_MAX_BYTES, TtyFollower } from './tty-follower';
import { readTtyGeneration, type TtyGeneration } from './tty-base';
import type { LogEndFrameDto, LogStartFrameDto, TtyControlFrame } from './tty-frames.dto';
import { findTailStart, readFully, openTtyLog, TTY_TAIL_MAX_BYTES, TtyLogMissingError } from './tty-tail';

const LF = 0x0a;

/**
 * Above this many bytes queued on a socket, sending waits for the client to catch up: a slow or
 * stalled client costs the server at most this plus one frame, not the whole log.
 */
export const TTY_SOCKET_HIGH_WATER_BYTES = 4 * 1024 * 1024;

/** WebSocket close codes used by the tty stream. */
export const TTY_CLOSE = { normal: 1000, noLog: 1008, internal: 1011 } as const;

/** How a job ended, as the end frame reports it. */
export type TtyJobEnd = Omit<LogEndFrameDto, 'type'>;

export interface StreamTtyOptions {
  path: string;
  follow: boolean;
  /** Resolves when the job ends; null = it has already ended (see `final`). */
  ended: Promise<TtyJobEnd> | null;
  /** The end state of an already-ended job, sent as the end frame when `ended` is null. */
  final?: TtyJobEnd;
  maxBacklogBytes?: number;
  /**
   * Resume at this logical byte offset (a client reconnecting after it got this far): the backlog
   * starts there when it lies in the output and within maxBacklogBytes of its end, else the tail
   * rule applies; either way a `{type:'start', offset}` frame first says where the bytes that follow
   * begin. An offset the log cap dropped resumes at the marker line, with `dropped` in the frame.
   */
  resumeAt?: number;
  frameBytes?: number;
  highWaterBytes?: number;
}

const NO_LOG_MESSAGE = 'no output recorded for this job';

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** One socket's send side: ordered sends that wait while too much is queued, and close tracking. */
class TtySocketSender {
  private waiters: (() => void)[] = [];
  readonly closed: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    private readonly highWater: number,
  ) {
    this.closed = new Promise((resolve) => {
      ws.once('close', () => {
        this.wake();
        resolve();
      });
    });
    // An 'error' without a listener would throw; ws always follows it with 'close'.
    ws.on('error', () => this.wake());
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  async sendBinary(chunk: Buffer): Promise<void> {
    await this.waitForRoom();
    if (!this.open) return;
    this.ws.send(chunk, { binary: true }, () => this.wake());
  }

  sendJson(frame: TtyControlFrame): void {
    if (this.open) this.ws.send(JSON.stringify(frame), () => this.wake());
  }

  close(code: number): void {
    if (this.open) this.ws.close(code);
  }

  /** Send callbacks fire as frames reach the kernel; each one lets waiters re-check the queue. */
  private async waitForRoom(): Promise<void> {
    while (this.open && this.ws.bufferedAmount >= this.highWater) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/** The outcome if the promise has already settled, else undefined (checked after pending microtasks). */
async function peek<T>(settled: Promise<Settled<T>>): Promise<Settled<T> | undefined> {
  const pending = new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)));
  return Promise.race([settled, pending]);
}

/**
 * Serves one job's output over a WebSocket: the last ≤ maxBacklogBytes (from a line start) as binary
 * frames of ≤ frameBytes, then — when following a job that has not ended — every byte appended,
 * then `{type:'end', status, exit_code}` and close 1000. Without follow, or for an ended job, the
 * backlog is followed by the end frame if the job is known to have ended, then close 1000.
 * A missing log: waited for when following a live job, else `{type:'error'}` and close 1008.
 * Resolves once the stream is done or the client has gone; unexpected I/O errors are reported to the
 * client (close 1011) and rethrown for the caller to log.
 */
export async function streamTtyToSocket(ws: WebSocket, options: StreamTtyOptions): Promise<void> {
  const sender = new TtySocketSender(ws, options.highWaterBytes ?? TTY_SOCKET_HIGH_WATER_BYTES);
  if (!sender.open) return;
  const ended = options.ended ? settle(options.ended) : null;
  const settledEnd = ended ? await peek(ended) : undefined;
  try {
    if (settledEnd && !settledEnd.ok) throw settledEnd.error;
    if (options.follow && ended && !settledEnd) {
      await followLive(sender, options, ended);
    } else {
      const end = options.ended === null ? options.final : settledEnd?.ok ? settledEnd.value : undefined;
      await sendSnapshot(sender, options, end);
    }
  } catch (err) {
    sender.sendJson({ type: 'error', message: 'reading the job output failed' });
    sender.close(TTY_CLOSE.internal);
    throw err;
  }
}

/** Backlog up to the size seen now, then the end frame if the end is known. */
async function sendSnapshot(
  sender: TtySocketSender,
  options: StreamTtyOptions,
  end?: TtyJobEnd,
): Promise<void> {
  const frameBytes = options.frameBytes ?? TTY_CHUNK_MAX_BYTES;
  let fh;
  try {
    fh = await openTtyLog(options.path);
  } catch (err) {
    if (!(err instanceof TtyLogMissingError)) throw err;
    sender.sendJson({ type: 'error', message: NO_LOG_MESSAGE });
    sender.close(TTY_CLOSE.noLog);
    return;
  }
  try {
    const { size } = await fh.stat();
    const generation = await readTtyGeneration(options.path, fh);
    const start = await startOffset(fh, size, generation, options);
    if (options.resumeAt !== undefined) sender.sendJson(start);
    let position = start.offset - generation.base; // in the file
    while (position < size && sender.open) {
      const chunk = await readFully(fh, position, Math.min(frameBytes, size - position));
      if (chunk.length === 0) break; // truncated while reading: send what there was
      position += chunk.length;
      await sender.sendBinary(chunk);
    }
  } finally {
    await fh.close();
  }
  if (end) sender.sendJson({ type: 'end', status: end.status, exit_code: end.exit_code });
  sender.close(TTY_CLOSE.normal);
}

/** Backlog and live bytes through one follower, so nothing falls between them. */
async function followLive(
  sender: TtySocketSender,
  options: StreamTtyOptions,
  ended: Promise<Settled<TtyJobEnd>>,
): Promise<void> {
  const start = await backlogStart(options);
  if (options.resumeAt !== undefined) sender.sendJson(start);
  let failure: Error | undefined;
  let onFailure: ((err: Error) => void) | undefined;
  const failed = new Promise<Error>((resolve) => (onFailure = resolve));
  // Whether the last byte sent left a line open (the job was mid-line).
  let lineOpen = false;
  const follower = new TtyFollower(options.path, start.offset, {
    onData: (chunk) => {
      if (chunk.length) lineOpen = chunk[chunk.length - 1] !== LF;
      return sender.sendBinary(chunk); // awaited by the follower: a slow client slows the reading
    },
    onTruncate: () =>
      sender.sendJson({ type: 'reset', message: 'the log file was truncated; replaying it from the start' }),
    // The client fell behind the log cap: what follows starts at the marker line — on a line of its
    // own, not appended to the partial line the client shows (the start frame re-bases its offset).
    onDrop: async ({ previousOffset, offset, first }) => {
      if (lineOpen) await sender.sendBinary(Buffer.from('\n'));
      lineOpen = false;
      sender.sendJson({ type: 'start', offset, dropped: first - previousOffset });
    },
    onError: (err) => {
      failure = err;
      onFailure?.(err);
    },
    maxChunkBytes: options.frameBytes ?? TTY_CHUNK_MAX_BYTES,
  });
  follower.start();
  try {
    const outcome = await Promise.race([
      ended.then((end) => ({ kind: 'ended' as const, end })),
      sender.closed.then(() => ({ kind: 'closed' as const })),
      failed.then((error) => ({ kind: 'failed' as const, error })),
    ]);
    switch (outcome.kind) {
      case 'closed':
        return;
      case 'failed':
        throw outcome.error;
      case 'ended':
        if (!outcome.end.ok) throw outcome.end.error;
        await follower.drain();
        if (failure) throw failure;
        follower.stop();
        sender.sendJson({
          type: 'end',
          status: outcome.end.value.status,
          exit_code: outcome.end.value.exit_code,
        });
        sender.close(TTY_CLOSE.normal);
        return;
    }
  } finally {
    follower.stop();
  }
}

/** Where following starts, given the file as it is now; 0 if it does not exist yet. */
async function backlogStart(options: StreamTtyOptions): Promise<LogStartFrameDto> {
  let fh;
  try {
    fh = await openTtyLog(options.path);
  } catch (err) {
    if (err instanceof TtyLogMissingError) return { type: 'start', offset: 0 };
    throw err;
  }
  try {
    const { size } = await fh.stat();
    return await startOffset(fh, size, await readTtyGeneration(options.path, fh), options);
  } finally {
    await fh.close();
  }
}

/**
 * The resume point (logical) when it is still in the output and not too far back — the marker line
 * when the log cap dropped it — else the tail rule.
 */
async function startOffset(
  fh: FileHandle,
  size: number,
  { base, first }: TtyGeneration,
  options: StreamTtyOptions,
): Promise<LogStartFrameDto> {
  const maxBacklogBytes = options.maxBacklogBytes ?? TTY_TAIL_MAX_BYTES;
  const at = options.resumeAt;
  const end = base + size;
  if (at !== undefined && at <= end && end - at <= maxBacklogBytes) {
    if (at >= first) return { type: 'start', offset: at };
    return { type: 'start', offset: base, dropped: first - at };
  }
  return { type: 'start', offset: base + (await findTailStart(fh, size, maxBacklogBytes)) };
}
