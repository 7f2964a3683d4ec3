import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { WebSocket } from 'ws';
import { DomainError, WsRouter, type StreamErrorFrameDto } from '@trainyard/core';
import {
  parseTtyStreamQuery,
  QUEUE_ID_PATTERN,
  TTY_STREAM_QUERY,
  type JobDto,
  type TtyControlFrame,
} from '@trainyard/jobs';
import { nodeLabel } from './bundles';
import { ClusterService } from './cluster.service';
import { LOG_WAIT_MAX_MS, type LogChunk } from './node-endpoint';

/** Above this many bytes queued on the socket, the next read from the owner waits (flow control). */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
/** An empty read of a live log that came back this fast (no log file yet) is retried after a pause. */
const EMPTY_RETRY_MS = 250;

/**
 * WebSocket `/api/cluster/nodes/{node_id}/jobs/{queue_id}/tty` (?offset to resume, ?follow=false for
 * the backlog only): another node's
 * job log, with the same frames as the local `/api/jobs/{queue_id}/tty` — binary frames of log bytes,
 * JSON `{type:'start', offset}` first when resuming and `{type:'start', offset, dropped}` when the log
 * cap dropped output not read yet (offsets are logical), `{type:'end', status, exit_code}` then close
 * 1000 once the job ended, `{type:'error'}` then close 1008 (refused: unknown node or job) or 1011
 * (the node did not answer the backlog read of a stream not following). Following, a node that
 * stops answering (down, frozen, cut off) does not end the stream: `{type:'node', reachable:false}`
 * says so as soon as a read fails or the member table shows it unreachable, the reads go on, and
 * `{type:'node', reachable:true}` says when it answers again; the log then goes on from its offset.
 * The bytes come from the owning node over NATS (`log_read`: backlog,
 * then long polls at the next offset), so a slow client holds the owner back instead of piling up.
 * Upgrades pass the same gate as every WebSocket route (credentials, Host, Origin).
 */
@Injectable()
export class RemoteLogStream implements OnModuleInit {
  private readonly logger = new Logger('ClusterLogs');

  constructor(
    private readonly ws: WsRouter,
    private readonly cluster: ClusterService,
  ) {}

  onModuleInit(): void {
    this.ws.register(
      '/api/cluster/nodes/:node_id/jobs/:queue_id/tty',
      (socket, { params, query }) => this.streamLog(socket, params.node_id, params.queue_id, query),
      TTY_STREAM_QUERY,
    );
  }

  private async streamLog(
    socket: WebSocket,
    node: string,
    id: string,
    query: URLSearchParams,
  ): Promise<void> {
    if (!QUEUE_ID_PATTERN.test(id)) return close(socket, 1008, `no job ${id}`);
    const asked = parseTtyStreamQuery(query);
    if (typeof asked === 'string') return close(socket, 1008, asked);
    try {
      this.cluster.member(node);
      await this.stream(socket, node, id, asked.offset, asked.follow);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      close(socket, err.code === 'NODE_UNREACHABLE' ? 1011 : 1008, err.message);
    }
  }

  private async stream(
    socket: WebSocket,
    node: string,
    id: string,
    resumeAt: number | null,
    follow: boolean,
  ): Promise<void> {
    let gone = socket.readyState !== WebSocket.OPEN;
    socket.once('close', () => (gone = true));
    socket.on('error', () => (gone = true));
    const watch = follow ? new NodeWatch(socket, this.cluster, node) : null;
    const ask = <T>(method: string, payload: object, timeoutMs?: number) => {
      const call = () => this.cluster.call<T>(node, method, payload, timeoutMs);
      return watch ? watch.whileAway(call, () => gone) : call();
    };
    const read = (offset: number | null, waitMs: number) =>
      ask<LogChunk>('log_read', { queue_id: id, offset, wait_ms: waitMs }, waitMs + 5000);
    let chunk = await read(resumeAt, 0);
    if (resumeAt !== null && !chunk.dropped) send(socket, { type: 'start', offset: chunk.offset });
    for (;;) {
      if (gone) return;
      // The log cap dropped output not read yet: what follows starts at the marker line (as locally).
      if (chunk.dropped) send(socket, { type: 'start', offset: chunk.offset, dropped: chunk.dropped });
      if (chunk.data.length) await sendBytes(socket, Buffer.from(chunk.data, 'base64'));
      else if (chunk.ended) break;
      const asked = Date.now();
      chunk = await read(chunk.next_offset, follow ? LOG_WAIT_MAX_MS : 0);
      // Not following: the backlog only (with the end frame when the job has ended).
      if (!follow && !chunk.data.length && !chunk.ended) return close1000(socket);
      if (!chunk.data.length && !chunk.ended && Date.now() - asked < EMPTY_RETRY_MS)
        await sleep(EMPTY_RETRY_MS);
    }
    const job = await ask<JobDto>('job', { queue_id: id });
    send(socket, { type: 'end', status: job.status, exit_code: job.exit_code });
    close1000(socket);
    this.logger.debug(`followed ${id} on ${node} to its end`);
  }
}

/** How often a follower asks again of a node that does not answer, and looks at the member table meanwhile. */
const NODE_RETRY_MS = 1000;

/**
 * The owning node of a followed log, as the stream sees it: a call that fails for NODE_UNREACHABLE
 * is made again (each second) until it answers; the `node` frames say when the node went and when
 * it is back, once each. A frozen node's long poll only fails after its timeout, so the member table
 * (heartbeats) is looked at while a call waits, to say so at once.
 */
class NodeWatch {
  private away = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly cluster: ClusterService,
    private readonly node: string,
  ) {}

  async whileAway<T>(call: () => Promise<T>, gone: () => boolean): Promise<T> {
    for (;;) {
      const look = setInterval(() => {
        if (this.cluster.memberList().find((m) => m.node_id === this.node)?.reachable === false)
          this.wentAway('its heartbeats stopped');
      }, NODE_RETRY_MS / 2);
      try {
        const answer = await call();
        if (this.away) {
          this.away = false;
          this.say(true, `node ${this.label()} answers again; the log goes on`);
        }
        return answer;
      } catch (err) {
        if (!(err instanceof DomainError) || err.code !== 'NODE_UNREACHABLE' || gone()) throw err;
        this.wentAway(err.message);
      } finally {
        clearInterval(look);
      }
      await sleep(NODE_RETRY_MS);
      if (gone()) throw new DomainError('NODE_UNREACHABLE', `node ${this.node} is unreachable`);
    }
  }

  private wentAway(why: string): void {
    if (this.away) return;
    this.away = true;
    this.say(false, `node ${this.label()} is unreachable (${why}); waiting for it`);
  }

  private say(reachable: boolean, message: string): void {
    send(this.socket, { type: 'node', node_id: this.node, reachable, message });
  }

  private label(): string {
    const member = this.cluster.memberList().find((m) => m.node_id === this.node);
    return member ? nodeLabel(member) : this.node;
  }
}

function send(socket: WebSocket, frame: TtyControlFrame): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
}

/** Sends one binary frame and waits while the socket's queue is above the high-water mark. */
async function sendBytes(socket: WebSocket, bytes: Buffer): Promise<void> {
  if (socket.readyState !== WebSocket.OPEN) return;
  await new Promise<void>((resolve) => socket.send(bytes, { binary: true }, () => resolve()));
  while (socket.readyState === WebSocket.OPEN && socket.bufferedAmount >= HIGH_WATER_BYTES) await sleep(20);
}

function close1000(socket: WebSocket): void {
  if (socket.readyState === WebSocket.OPEN) socket.close(1000);
}

/** The error frame, then close with `code`. */
function close(socket: WebSocket, code: number, message: string): void {
  const frame: StreamErrorFrameDto = { type: 'error', message };
  send(socket, frame);
  if (socket.readyState === WebSocket.OPEN) socket.close(code);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
