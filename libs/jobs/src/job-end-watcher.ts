import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { EventBus, IEvent } from '@nestjs/cqrs';
import type { Subscription } from 'rxjs';
import {
  JobCancelledEvent,
  JobDependencyFailedEvent,
  JobFinishedEvent,
  JobsDeletedEvent,
} from './job.events';
import type { JobStatus } from './job-lifecycle';

/**
 * How a job's life ended, as the log stream's end frame says it: its terminal status, or
 * `cancelled` (removed from the queue before it started) / `deleted` (its record was removed).
 */
export interface JobEnd {
  status: JobStatus | 'cancelled' | 'deleted';
  exit_code: number | null;
}

/** One follower's wait for a job's end; `release` drops it (idempotent) when the follower goes away. */
export interface JobEndWatch {
  /** Resolves with the first terminal event for the job; never rejects. */
  readonly ended: Promise<JobEnd>;
  release(): void;
}

/** The end a committed event means for each job it is about (none for non-terminal events). */
function endsOf(event: IEvent): Array<[string, JobEnd]> {
  if (event instanceof JobFinishedEvent)
    return [[event.queue_id, { status: event.status, exit_code: event.exit_code }]];
  if (event instanceof JobCancelledEvent) return [[event.queue_id, { status: 'cancelled', exit_code: null }]];
  if (event instanceof JobDependencyFailedEvent)
    return [[event.queue_id, { status: 'aborted', exit_code: null }]];
  if (event instanceof JobsDeletedEvent)
    return event.queue_ids.map((id) => [id, { status: 'deleted', exit_code: null }]);
  return [];
}

/**
 * Tells followers (log WebSockets) when a job reaches an end by any path: finished (done, failed,
 * aborted, launch failure), aborted while queued (a dependency failed), cancelled while queued, or
 * deleted. One subscription to the event bus
 * for the whole process; each watch is an entry in a map, removed when the job ends or the watch
 * is released, so a follower that goes away leaves nothing behind.
 */
@Injectable()
export class JobEndWatcher implements OnModuleDestroy {
  private readonly waiting = new Map<string, Set<(end: JobEnd) => void>>();
  private readonly subscription: Subscription;

  constructor(eventBus: EventBus) {
    this.subscription = eventBus.subscribe((event: IEvent) => {
      for (const [id, end] of endsOf(event)) {
        const callbacks = this.waiting.get(id);
        if (!callbacks) continue;
        this.waiting.delete(id);
        for (const resolve of callbacks) resolve(end);
      }
    });
  }

  /** Watches not yet ended or released (leak checks in tests). */
  get activeWatches(): number {
    let n = 0;
    for (const callbacks of this.waiting.values()) n += callbacks.size;
    return n;
  }

  /** Start watching before reading the job's current status, so an end in between is not missed. */
  watch(queueId: string): JobEndWatch {
    let callback!: (end: JobEnd) => void;
    const ended = new Promise<JobEnd>((resolve) => (callback = resolve));
    let callbacks = this.waiting.get(queueId);
    if (!callbacks) this.waiting.set(queueId, (callbacks = new Set()));
    callbacks.add(callback);
    return {
      ended,
      release: () => {
        const current = this.waiting.get(queueId);
        if (!current?.delete(callback)) return;
        if (current.size === 0) this.waiting.delete(queueId);
      },
    };
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }
}
