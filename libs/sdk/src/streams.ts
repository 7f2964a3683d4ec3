import NodeWebSocket from 'ws';
import type {
  GpusFrameDto,
  JobsFrameDto,
  LogEndFrameDto,
  LogResetFrameDto,
  LogNodeFrameDto,
  LogStartFrameDto,
  LogStreamFrame,
  StreamErrorFrameDto,
} from './generated';
import { AnswerTimeoutError, TrainyardApiError, TrainyardConnectionError } from './errors';

/**
 * WebSocket helpers: the REST spec declares the frames (as schemas) but not the sockets.
 *
 * In Node they use the `ws` package and send the token as `Authorization: Bearer`. In a browser they
 * use the global WebSocket: without a token the session cookie authenticates (same origin), with one
 * it goes in `?token=` (the bearer token or a one-shot token from `POST /api/auth/url-token`).
 */
export interface StreamOptions {
  /** Server origin, e.g. `http://127.0.0.1:8765`; in a browser, empty for the page's own origin. */
  baseUrl?: string;
  token?: string;
  /**
   * Node only: how long to wait for the server to accept the socket (the upgrade's answer), ms;
   * then `closed` rejects with a {@link TrainyardConnectionError} caused by an
   * {@link AnswerTimeoutError}. Absent or 0: no limit. Frames that follow are not timed.
   */
  answerTimeoutMs?: number;
}

// The frame types come from the OpenAPI spec (components LogStreamFrame, GpusStreamFrame,
// JobsStreamFrame), so the server's declared frames and these cannot drift apart.
/** The job ended: its final status and exit code. The server closes the socket (1000) right after. */
export type LogEndFrame = LogEndFrameDto;
/** The stream cannot go on (unknown job, no output recorded); the server closes with 1008 after it. */
export type LogErrorFrame = StreamErrorFrameDto;
/** The log file was truncated and is replayed from its start: a terminal view should clear. */
export type LogResetFrame = LogResetFrameDto;
/** Only when resuming (`offset` given): the log file offset of the first byte that follows. */
export type LogStartFrame = LogStartFrameDto;
/** Another cluster node's job only: its node stopped answering (the stream waits) or answers again. */
export type LogNodeFrame = LogNodeFrameDto;
export type LogControlFrame = LogStreamFrame;

/** One GPU snapshot: the `GET /api/gpus` body, tagged. Sent on connect and after every change. */
export type GpusFrame = GpusFrameDto;

/** The jobs changed since the previous frame (none in the first, sent on connect). */
export type JobsFrame = JobsFrameDto;

export interface StreamClose {
  /** WebSocket close code (1000 normal, 1008 refused by the handler, 1001 server going away, ...). */
  code: number;
  reason: string;
}

export interface Stream<TResult> {
  /** Closes the socket; `closed` then resolves. */
  close(): void;
  /**
   * Resolves when the socket closes. Rejects when it never opened: {@link TrainyardApiError} when the
   * server refused the upgrade (401, 404; Node only, browsers do not expose the status), otherwise
   * {@link TrainyardConnectionError}.
   */
  closed: Promise<TResult>;
}

export interface JobLogHandlers {
  /** Raw terminal bytes (ANSI escapes, `\r` progress bars), in order. */
  onData?: (bytes: Uint8Array) => void;
  onEnd?: (frame: LogEndFrame) => void;
  onError?: (frame: LogErrorFrame) => void;
  onReset?: (frame: LogResetFrame) => void;
  onStart?: (frame: LogStartFrame) => void;
  /** Another cluster node's job: its node stopped answering, or answers again (the stream stays open). */
  onNode?: (frame: LogNodeFrame) => void;
}

export interface JobLogStreamResult extends StreamClose {
  /** The end frame, or null when the socket closed without one (not following, server going away). */
  end: LogEndFrame | null;
  /** The message of an error frame, if one came. */
  error: string | null;
  /**
   * With `offset`: the log offset just past the last byte received, to pass as `offset` when
   * reconnecting (after a server restart) so nothing is repeated; null without `offset`.
   */
  position: number | null;
}

/**
 * Streams a job's terminal output: the backlog (up to 32 MiB), then, with `follow` (the default),
 * live output until the job ends and an end frame arrives. With `offset` (0 for a first connect,
 * then the previous result's `position`) the server resumes there when it can and says where it
 * starts in a `start` frame. With `nodeId`, the job runs on that cluster node
 * (`WS /api/cluster/nodes/{node_id}/jobs/{queue_id}/tty`, same frames).
 */
export function streamJobLog(
  queueId: string,
  options: StreamOptions & { follow?: boolean; offset?: number; nodeId?: string },
  handlers: JobLogHandlers = {},
): Stream<JobLogStreamResult> {
  let end: LogEndFrame | null = null;
  let error: string | null = null;
  let position: number | null = null;
  // `nodeId`: a job of another cluster node, streamed from it over NATS with the same frames.
  const path =
    options.nodeId === undefined
      ? `/api/jobs/${encodeURIComponent(queueId)}/tty`
      : `/api/cluster/nodes/${encodeURIComponent(options.nodeId)}/jobs/${encodeURIComponent(queueId)}/tty`;
  const query: Record<string, string> = {
    follow: String(options.follow ?? true),
    ...(options.offset !== undefined && { offset: String(options.offset) }),
  };
  const socket = openSocket(path, query, options, {
    onBinary: (bytes) => {
      if (position !== null) position += bytes.length;
      handlers.onData?.(bytes);
    },
    onText: (text) => {
      const frame = parseFrame<LogControlFrame>(text);
      switch (frame?.type) {
        case 'end':
          end = frame;
          handlers.onEnd?.(frame);
          break;
        case 'error':
          error = frame.message;
          handlers.onError?.(frame);
          break;
        case 'reset':
          if (position !== null) position = 0; // replayed from the file's start
          handlers.onReset?.(frame);
          break;
        case 'start':
          position = frame.offset;
          handlers.onStart?.(frame);
          break;
        case 'node':
          handlers.onNode?.(frame);
          break;
        case undefined:
          break;
      }
    },
  });
  return {
    close: () => socket.close(),
    closed: socket.closed.then((close) => ({ ...close, end, error, position })),
  };
}

/** Streams GPU snapshots (`{type: 'gpus', ...}`): one on connect, then after every change. */
export function streamGpus(options: StreamOptions, onFrame: (frame: GpusFrame) => void): Stream<StreamClose> {
  return openSocket('/api/gpus/stream', {}, options, {
    onBinary: () => undefined,
    onText: (text) => {
      const frame = parseFrame<GpusFrame>(text);
      if (frame?.type === 'gpus') onFrame(frame);
    },
  });
}

/**
 * Streams job changes: a frame on connect, then one after every queued / started / finished /
 * cancelled / deleted job, coalesced (at most one per 100 ms). Re-read the jobs or the queue on each.
 */
export function streamJobChanges(
  options: StreamOptions,
  onFrame: (frame: JobsFrame) => void,
): Stream<StreamClose> {
  return openSocket('/api/jobs/stream', {}, options, {
    onBinary: () => undefined,
    onText: (text) => {
      const frame = parseFrame<JobsFrame>(text);
      if (frame?.type === 'jobs') onFrame(frame);
    },
  });
}

interface FrameSink {
  onBinary(bytes: Uint8Array): void;
  onText(text: string): void;
}

function parseFrame<T extends { type: string }>(text: string): T | undefined {
  try {
    const frame = JSON.parse(text) as unknown;
    return frame && typeof frame === 'object' && typeof (frame as T).type === 'string'
      ? (frame as T)
      : undefined;
  } catch {
    return undefined;
  }
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** `http(s)://host/path?query` for the stream, relative to the page in a browser when baseUrl is empty. */
function streamUrl(path: string, query: Record<string, string>, baseUrl: string | undefined): URL {
  const origin = baseUrl || (globalThis as { location?: { href: string } }).location?.href;
  if (!origin) throw new TypeError('baseUrl is required outside a browser');
  const url = new URL(path, origin.replace(/\/*$/, '/'));
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url;
}

function toWs(url: URL): string {
  return url.href.replace(/^http/, 'ws');
}

function openSocket(
  path: string,
  query: Record<string, string>,
  options: StreamOptions,
  sink: FrameSink,
): Stream<StreamClose> {
  const url = streamUrl(path, query, options.baseUrl);
  return isNode() ? openNodeSocket(url, options, sink) : openBrowserSocket(url, options.token, sink);
}

function openNodeSocket(url: URL, options: StreamOptions, sink: FrameSink): Stream<StreamClose> {
  const ws = new NodeWebSocket(toWs(url), {
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
  });
  let opened = false;
  let closedByUs = false;
  let failure: Error | null = null;
  const timeoutMs = options.answerTimeoutMs ?? 0;
  // A server that took the connection and never answers the upgrade (stopped, stuck) would
  // otherwise leave `closed` pending for ever.
  const answerTimer =
    timeoutMs > 0
      ? setTimeout(() => {
          failure ??= new TrainyardConnectionError(url.href, new AnswerTimeoutError(timeoutMs));
          ws.terminate();
        }, timeoutMs)
      : undefined;
  const closed = new Promise<StreamClose>((resolve, reject) => {
    ws.on('upgrade', () => clearTimeout(answerTimer));
    ws.on('open', () => (opened = true));
    ws.on('unexpected-response', (_request, response) => {
      clearTimeout(answerTimer); // it answered, if only with a refusal
      // Refused upgrade (401 without credentials, 404 unknown route): keep its status and JSON body.
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        failure = TrainyardApiError.fromBody(response.statusCode ?? 0, body, url.href);
        ws.terminate();
      });
    });
    ws.on('error', (err) => {
      if (!opened) failure ??= new TrainyardConnectionError(url.href, err);
    });
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const bytes = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data);
      if (isBinary) sink.onBinary(bytes);
      else sink.onText(bytes.toString('utf8'));
    });
    ws.on('close', (code, reason) => {
      clearTimeout(answerTimer);
      if (opened || closedByUs) resolve({ code, reason: reason.toString() });
      else reject(failure ?? new TrainyardConnectionError(url.href));
    });
  });
  return {
    close: () => {
      closedByUs = true;
      if (ws.readyState === NodeWebSocket.CONNECTING) ws.terminate();
      else ws.close(1000);
    },
    closed,
  };
}

/** The part of the browser's WebSocket used here (the repo compiles without the DOM lib). */
interface BrowserWebSocket {
  binaryType: string;
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: (() => void) | null;
  close(code?: number): void;
}

function openBrowserSocket(url: URL, token: string | undefined, sink: FrameSink): Stream<StreamClose> {
  const WebSocketCtor = (globalThis as { WebSocket?: new (url: string) => BrowserWebSocket }).WebSocket;
  if (!WebSocketCtor) throw new TypeError('no WebSocket implementation in this environment');
  if (token) url.searchParams.set('token', token);
  const ws = new WebSocketCtor(toWs(url));
  ws.binaryType = 'arraybuffer';
  let opened = false;
  let closedByUs = false;
  const closed = new Promise<StreamClose>((resolve, reject) => {
    ws.onopen = () => (opened = true);
    ws.onmessage = ({ data }) => {
      if (typeof data === 'string') sink.onText(data);
      else sink.onBinary(new Uint8Array(data as ArrayBuffer));
    };
    ws.onerror = () => undefined; // always followed by close
    ws.onclose = ({ code, reason }) => {
      if (opened || closedByUs) resolve({ code, reason });
      else reject(new TrainyardConnectionError(url.href.replace(/([?&]token=)[^&]*/, '$1…')));
    };
  });
  return {
    close: () => {
      closedByUs = true;
      ws.close(1000);
    },
    closed,
  };
}
