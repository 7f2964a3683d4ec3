import { Injectable } from '@nestjs/common';
import { hostname } from 'node:os';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { Credentials } from '@trainyard/auth';
import { DomainError } from '@trainyard/core';
import { Database } from '@trainyard/database';
import { Journal, journalEntryTypeOf } from '@trainyard/journal';
import {
  GpuInventory,
  SetGpuPolicyCommand,
  toGpuListDto,
  toGpuPolicyDto,
  type GpuListDto,
} from '@trainyard/gpus';
import {
  decodeJobListCursor,
  encodeJobListCursor,
  isTerminal,
  JobEndWatcher,
  JobFiles,
  JobFinishedEvent,
  JobRepository,
  QUEUE_ID_PATTERN,
  readTtyAt,
  HeldGpusQuery,
  type HeldGpus,
  StartBlockerQuery,
  readTtyTail,
  ttyLastLinesOffset,
  toJobDto,
  TtyFollower,
  TtyLogMissingError,
  type JobDto,
  type JobStatus,
} from '@trainyard/jobs';
import { CancelQueueItemCommand, SubmitJobCommand, type SubmitJobInput } from '@trainyard/queue';
import { nodeLabel } from './bundles';
import { ClusterService } from './cluster.service';

/** Largest log chunk one reply carries (base64 must stay under NATS' 1 MiB default max_payload). */
export const LOG_CHUNK_MAX_BYTES = 512 * 1024;
/** Longest a log read waits for new bytes before answering empty (a long poll). */
export const LOG_WAIT_MAX_MS = 20_000;

/** A piece of a job's log, as `log_read` answers it. */
export interface LogChunk {
  /** Base64 bytes starting at `offset`. */
  data: string;
  /**
   * Logical offset of `data` (see libs/jobs tty-base.ts): the offset asked for, or, when the log cap
   * dropped output from there, the start of the file that replaced it (its marker line).
   */
  offset: number;
  /** Bytes from the offset asked for that the log cap dropped before they were read; 0 if none. */
  dropped?: number;
  /** Where the next read continues. */
  next_offset: number;
  /** The backlog left out bytes before `offset`. */
  truncated: boolean;
  /** The job has ended: once a read at `next_offset` is empty, there is nothing more. */
  ended: boolean;
}

/**
 * What `gpus` answers: the node's GET /api/gpus, why no rank can start there now (its scheduler
 * is paused, ...; see StartBlockerQuery), null when one can, and the idle GPUs its scheduler holds
 * for a waiting job (see HeldGpusQuery). Both absent from older nodes.
 */
export interface NodeGpus extends GpuListDto {
  start_blocker?: string | null;
  held?: HeldGpus | null;
}

/**
 * A rank's job, as `status` answers it. Its row gone, `status` is what this node's journal says became
 * of it — `aborted` (removed from the queue by a cancel) or the status it ended with (deleted after)
 * — or null with `unknown` true: this node never had it (its state directory was replaced). Older
 * nodes answer null for any job without a row.
 */
export interface RankJobState {
  queue_id: string;
  status: JobStatus | null;
  unknown?: boolean;
}

/** A rank's job found by its plan key (`enqueue_key`); queue_id/status null = never enqueued here (or removed). */
export interface RankByKey {
  key: string;
  queue_id: string | null;
  status: JobStatus | null;
}

export interface EnqueueRequest {
  input: SubmitJobInput;
  /**
   * The rank's plan key, `<bundle id>/<node rank>`, used as the submit's idempotency key: the same
   * order sent again answers the job queued the first time.
   */
  key: string;
  /** The coordinating master and its lease revision (fencing). */
  master_node_id: string;
  fence: number;
  /**
   * When the master sent this order (ISO 8601, its clock) and how long it waits for the answer (ms).
   * A node that reads the order later than that (it was frozen, or its NATS connection stalled)
   * refuses it: the master has given up on it by then and may have rolled the bundle back, so a rank
   * queued now would run alone (an orphan holding its GPUs). Absent from older masters: no check.
   */
  sent_at?: string;
  answer_within_ms?: number;
}

/**
 * Margin (ms) an order must be read inside its answer time: the clock offsets it is aged with are
 * measured to within NATS' publish latency, and the answer still has to travel back.
 */
const ORDER_AGE_MARGIN_MS = 250;

/**
 * This node's side of inter-node calls: what other nodes may ask of it over NATS (see node-rpc.ts).
 * Each handler is the same command or read the local REST API uses.
 */
@Injectable()
export class NodeEndpoint {
  constructor(
    private readonly cluster: ClusterService,
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    private readonly gpus: GpuInventory,
    private readonly jobs: JobRepository,
    private readonly files: JobFiles,
    private readonly credentials: Credentials,
    private readonly db: Database,
    private readonly endWatcher: JobEndWatcher,
    private readonly journal: Journal,
  ) {
    const h = (method: string, fn: (p: Record<string, unknown>) => Promise<unknown>) =>
      cluster.handle(method, fn);
    h('ping', () => Promise.resolve({ node_id: cluster.nodeId, at: new Date().toISOString() }));
    h('gpus', () => this.nodeGpus());
    h('gpu_policy', (p) => this.setGpuPolicy(p));
    h('enqueue', (p) => this.enqueue(p as unknown as EnqueueRequest));
    h('cancel', (p) => this.cancel(queueId(p.queue_id), p.kill === true));
    h('status', (p) => this.status(p.queue_ids));
    h('ranks_by_key', (p) => this.ranksByKey(p.keys));
    h('jobs', (p) =>
      this.jobList(Number(p.limit ?? 100), typeof p.cursor === 'string' ? p.cursor : undefined),
    );
    h('job', (p) => this.job(queueId(p.queue_id)));
    h('log_read', (p) =>
      this.logRead(
        queueId(p.queue_id),
        p.offset as number | null,
        Number(p.wait_ms ?? 0),
        (p.last ?? null) as number | null,
      ),
    );
    h('url_token', () => Promise.resolve({ token: this.credentials.urlTokens.issue().token }));
  }

  async gpuList(): Promise<GpuListDto> {
    await this.gpus.ready();
    return toGpuListDto(this.gpus.view());
  }

  private async nodeGpus(): Promise<NodeGpus> {
    const [list, blocker, held] = await Promise.all([
      this.gpuList(),
      this.queryBus.execute(new StartBlockerQuery()),
      this.queryBus.execute(new HeldGpusQuery()),
    ]);
    return { ...list, start_blocker: blocker, held };
  }

  private async setGpuPolicy(p: Record<string, unknown>) {
    const changes: { disabled?: boolean; min_priority?: number | null } = {};
    if (p.disabled !== undefined) changes.disabled = p.disabled as boolean;
    if (p.min_priority !== undefined) changes.min_priority = p.min_priority as number | null;
    return toGpuPolicyDto(await this.commandBus.execute(new SetGpuPolicyCommand(Number(p.index), changes)));
  }

  private async enqueue(req: EnqueueRequest): Promise<JobDto> {
    this.cluster.checkFence(req.master_node_id, req.fence);
    this.checkOrderFresh(req);
    if (typeof req.key !== 'string' || req.key.length === 0 || req.key.length > 128)
      throw new DomainError('VALIDATION_FAILED', 'key must be a plan key of 1..128 characters', [
        { field: 'key', message: 'required' },
      ]);
    // All or nothing: the bundle's other ranks start on their nodes and wait at the rendezvous for
    // this one, so it starts now or is not queued at all (a 409 saying what holds the GPUs; the
    // master then rolls the whole bundle back). The master picked this node by its idle GPUs, but a
    // local job may have taken them since; the scheduler places and claims the rank in one step.
    try {
      const { job } = await this.commandBus.execute(
        new SubmitJobCommand(req.input, clusterKey(req.key), { startNow: true }),
      );
      return toJobDto(job, Date.now(), false);
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== 'CONFLICT' || !Array.isArray(err.details)) throw err;
      // The details name this node: the master's message names it, its details are the user's too.
      const here = nodeLabel({ hostname: hostname(), node_id: this.cluster.nodeId });
      throw new DomainError(
        err.code,
        err.message,
        err.details.map((d) => ({ ...d, message: `on ${here}: ${d.message}` })),
      );
    }
  }

  /** Refuses an order read after its master stopped waiting for the answer (see EnqueueRequest.sent_at). */
  private checkOrderFresh(req: EnqueueRequest): void {
    const sentAt = req.sent_at === undefined ? NaN : Date.parse(req.sent_at);
    if (!Number.isFinite(sentAt) || typeof req.answer_within_ms !== 'number') return;
    const age = this.cluster.ageOf(req.master_node_id, sentAt);
    if (age !== null && age > req.answer_within_ms - ORDER_AGE_MARGIN_MS)
      throw new DomainError(
        'NODE_UNREACHABLE',
        `the order for ${req.key} reached node ${this.cluster.nodeId} ${(age / 1000).toFixed(1)} s after its master sent it, ` +
          `past the ${(req.answer_within_ms / 1000).toFixed(1)} s it waits for an answer (was this node frozen or cut off?); not queued`,
      );
  }

  /**
   * `rollback` (`kill` on the wire, which masters only ever set for it): the rank of a rolled-back
   * bundle, killed at once and ended `bundle_rollback`; else the user's cancel (see CancelQueueItemCommand).
   */
  private async cancel(id: string, rollback: boolean): Promise<{ queue_id: string; outcome: string }> {
    const request = rollback ? 'bundle_rollback' : 'user_abort';
    try {
      return {
        queue_id: id,
        outcome: await this.commandBus.execute(new CancelQueueItemCommand(id, request)),
      };
    } catch (err) {
      // Cancelling what already ended or was removed is done, not an error: cancels are fanned out
      // and retried.
      if (err instanceof DomainError && ['QUEUE_ITEM_NOT_FOUND', 'JOB_NOT_RUNNING'].includes(err.code))
        return { queue_id: id, outcome: (await this.pastStatus(id)) === undefined ? 'unknown' : 'ended' };
      throw err;
    }
  }

  private async status(ids: unknown): Promise<RankJobState[]> {
    if (!Array.isArray(ids)) throw new DomainError('VALIDATION_FAILED', 'queue_ids must be a list');
    return Promise.all(
      ids.map(async (raw): Promise<RankJobState> => {
        const id = String(raw);
        const job = await this.jobs.get(id);
        if (job) return { queue_id: id, status: job.status };
        const past = await this.pastStatus(id);
        return past === undefined
          ? { queue_id: id, status: null, unknown: true }
          : { queue_id: id, status: past };
      }),
    );
  }

  /**
   * What became of a job whose row is gone, by this node's journal: `aborted` when a cancel removed
   * it from the queue, the status it ended with when it was deleted after, undefined when this node
   * never had it.
   */
  private async pastStatus(id: string): Promise<JobStatus | undefined> {
    const items = await this.journal.latestAbout(id, 10);
    if (!items.length) return undefined;
    const finished = items.find((e) => e.type === journalEntryTypeOf(JobFinishedEvent));
    return (finished?.payload.status as JobStatus | undefined) ?? 'aborted';
  }

  private async ranksByKey(keys: unknown): Promise<RankByKey[]> {
    if (!Array.isArray(keys)) throw new DomainError('VALIDATION_FAILED', 'keys must be a list');
    return Promise.all(
      keys.map(async (k) => {
        const job = await this.jobs.findByIdempotencyKey(this.db.manager, clusterKey(String(k)));
        return { key: String(k), queue_id: job?.id ?? null, status: job?.status ?? null };
      }),
    );
  }

  private async jobList(limit: number, cursor: string | undefined) {
    const { items, total, next } = await this.jobs.list({
      limit: Math.min(Math.max(limit, 1), 1000),
      after: cursor === undefined ? undefined : decodeJobListCursor(cursor, undefined),
    });
    const now = Date.now();
    return {
      items: items.map((j) => toJobDto(j, now, false)),
      total,
      next_cursor: next && encodeJobListCursor(next),
    };
  }

  private async job(id: string): Promise<JobDto> {
    const job = await this.jobs.get(id);
    if (!job) throw new DomainError('JOB_NOT_FOUND', `no job ${id} on node ${this.cluster.nodeId}`);
    return toJobDto(job, Date.now(), false);
  }

  /**
   * A job's log from `offset` (null: the backlog, its last LOG_CHUNK_MAX_BYTES from a line start),
   * or from `last` lines before its end (as `tail -n` counts them; then `offset` is null).
   * With nothing new at `offset` and the job still going, waits up to `waitMs` for bytes (long poll):
   * the caller pulls chunk after chunk, so a slow reader holds the owner back (flow control) and no
   * byte is lost or repeated.
   */
  async logRead(
    id: string,
    offset: number | null,
    waitMs: number,
    last: number | null = null,
  ): Promise<LogChunk> {
    const job = await this.jobs.get(id);
    if (!job) throw new DomainError('JOB_NOT_FOUND', `no job ${id} on node ${this.cluster.nodeId}`);
    const path = this.files.tty(id);
    const ended = isTerminal(job.status);
    if (last !== null) {
      mustBeNonNegativeInteger(last, 'last');
      offset = await ttyLastLinesOffset(path, last).catch((err: unknown) => {
        if (err instanceof TtyLogMissingError) return 0;
        throw err;
      });
    }
    if (offset === null || offset === undefined) {
      try {
        const tail = await readTtyTail(path, LOG_CHUNK_MAX_BYTES);
        return {
          data: tail.data.toString('base64'),
          offset: tail.size - tail.data.length,
          next_offset: tail.size,
          truncated: tail.truncated,
          ended,
        };
      } catch (err) {
        if (!(err instanceof TtyLogMissingError)) throw err;
        return { data: '', offset: 0, next_offset: 0, truncated: false, ended };
      }
    }
    mustBeNonNegativeInteger(offset, 'offset');
    let chunk = await readTtyAt(path, offset, LOG_CHUNK_MAX_BYTES);
    if (chunk.data.length === 0 && chunk.dropped === 0 && !ended && waitMs > 0) {
      // The job's end also ends the wait (its last bytes are read again below), so a follower learns
      // of the end at once, not after the whole wait.
      const watch = this.endWatcher.watch(id);
      try {
        // Watching first, then the status: an end in between is not missed.
        const endedMeanwhile = isTerminal((await this.jobs.get(id))?.status ?? 'done');
        const data = endedMeanwhile
          ? Buffer.alloc(0)
          : await nextChunk(path, offset, Math.min(waitMs, LOG_WAIT_MAX_MS), watch.ended);
        chunk = data.length
          ? { data, offset, dropped: 0 }
          : await readTtyAt(path, offset, LOG_CHUNK_MAX_BYTES);
      } finally {
        watch.release();
      }
    }
    const nowEnded = isTerminal((await this.jobs.get(id))?.status ?? 'done');
    return {
      data: chunk.data.toString('base64'),
      offset: chunk.offset,
      dropped: chunk.dropped,
      next_offset: chunk.offset + chunk.data.length,
      truncated: false,
      ended: nowEnded,
    };
  }
}

/** The idempotency key a rank's plan key is queued under (its own namespace beside API clients' keys). */
function clusterKey(planKey: string): string {
  return `cluster:${planKey}`;
}

/** A number in an order from another node, checked as the HTTP route's DTO checks it: 400 naming `field`. */
function mustBeNonNegativeInteger(value: number, field: string): void {
  if (Number.isInteger(value) && value >= 0) return;
  const message = `${field} must be a non-negative integer`;
  throw new DomainError('VALIDATION_FAILED', message, [{ field, message }]);
}

function queueId(v: unknown): string {
  if (typeof v !== 'string' || !QUEUE_ID_PATTERN.test(v))
    throw new DomainError('VALIDATION_FAILED', `queue_id ${JSON.stringify(v)} is not a queue id`, [
      { field: 'queue_id', message: 'not a queue id' },
    ]);
  return v;
}

/**
 * The first bytes written at or after logical `offset`, or empty after `waitMs`, once `stop` settles,
 * or when the log cap dropped output from `offset` (the caller's next read says how much).
 */
function nextChunk(path: string, offset: number, waitMs: number, stop: Promise<unknown>): Promise<Buffer> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (b: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      follower.stop();
      resolve(b);
    };
    const follower = new TtyFollower(path, offset, {
      onData: (chunk) => finish(chunk),
      onTruncate: () => finish(Buffer.alloc(0)),
      onDrop: () => finish(Buffer.alloc(0)),
      onError: () => finish(Buffer.alloc(0)),
      maxChunkBytes: LOG_CHUNK_MAX_BYTES,
    });
    const timer = setTimeout(() => finish(Buffer.alloc(0)), waitMs);
    void stop.then(
      () => finish(Buffer.alloc(0)),
      () => finish(Buffer.alloc(0)),
    );
    follower.start();
  });
}
