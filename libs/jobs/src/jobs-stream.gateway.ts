import { Injectable, OnModuleInit } from '@nestjs/common';
import { WebSocket } from 'ws';
import { WsRouter } from '@trainyard/core';
import { Journal, JournalEntry } from '@trainyard/journal';
import { JobsFrameDto } from './jobs-stream.dto';
import { TrainerStatusPoller } from './control/trainer-status';
import { PendingReasons } from './pending-reasons';

export const JOBS_STREAM_PATH = '/api/jobs/stream';
/** A burst of changes (a pass launching 32 jobs) becomes one frame; frames are at least this far apart. */
export const JOBS_STREAM_MIN_GAP_MS = 100;
/** A frame names at most this many jobs (about 14 KB); a bigger burst (a cleanup) says how many more. */
export const JOBS_FRAME_MAX_IDS = 500;

/**
 * WebSocket `/api/jobs/stream`: one frame on connect (no ids), then one after every committed job
 * change (queued, starting, started, finished, cancelled, deleted), trainer status change or change
 * of a queued item's pending reason (no ids when every item's changed: the scheduler paused or
 * resumed), coalesced. The frames say what changed, not how: clients re-read `GET /api/jobs` or
 * `/api/queue`, so there is one source of truth.
 */
@Injectable()
export class JobsStreamGateway implements OnModuleInit {
  constructor(
    private readonly router: WsRouter,
    private readonly journal: Journal,
    private readonly trainerStatus: TrainerStatusPoller,
    private readonly reasons: PendingReasons,
  ) {}

  onModuleInit(): void {
    this.router.register(JOBS_STREAM_PATH, (socket) => this.stream(socket));
  }

  private stream(socket: WebSocket): void {
    let timer: NodeJS.Timeout | undefined;
    let lastSent = -Infinity; // monotonic ms (performance.now): a wall-clock jump cannot stall frames
    const pending = new Set<string>();

    const send = (): void => {
      timer = undefined;
      if (socket.readyState !== WebSocket.OPEN) return;
      lastSent = performance.now();
      const ids = [...pending];
      pending.clear();
      const frame: JobsFrameDto = { type: 'jobs', queue_ids: ids.slice(0, JOBS_FRAME_MAX_IDS) };
      if (ids.length > JOBS_FRAME_MAX_IDS) frame.omitted = ids.length - JOBS_FRAME_MAX_IDS;
      socket.send(JSON.stringify(frame));
    };
    /** Sends a frame soon (the queue's reasons changed: `ids` may be empty), naming `ids`. */
    const frameSoon = (ids: string[]): void => {
      for (const id of ids) pending.add(id);
      timer ??= setTimeout(send, Math.max(0, lastSent + JOBS_STREAM_MIN_GAP_MS - performance.now()));
    };
    const changed = (ids: string[]): void => {
      if (ids.length) frameSoon(ids);
    };
    const stops = [
      this.journal.onCommitted((entries) => changed(entries.flatMap(jobIdsOf))),
      this.trainerStatus.onChange((id) => changed([id])),
      this.reasons.onChange(frameSoon),
    ];
    socket.on('error', () => socket.terminate());
    socket.once('close', () => {
      for (const stop of stops) stop();
      clearTimeout(timer);
    });
    send();
  }
}

/** The jobs a journal entry is about: `job.*` entries carry `queue_id` or (deletes) `queue_ids`. */
function jobIdsOf(entry: JournalEntry): string[] {
  if (!entry.type.startsWith('job.')) return [];
  const { queue_id, queue_ids } = entry.payload;
  if (typeof queue_id === 'string') return [queue_id];
  return Array.isArray(queue_ids) ? queue_ids.filter((id): id is string => typeof id === 'string') : [];
}
