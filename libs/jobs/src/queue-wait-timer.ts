import { Injectable } from '@nestjs/common';
import { Clock } from '@trainyard/core';

/** Entries kept at most; the oldest go first (jobs that never start: cancelled, deleted). */
const MAX_TRACKED = 10_000;

/**
 * Submit → start latency on the monotonic clock, for jobs submitted by this process: a wall-clock
 * jump between the two cannot make it negative or huge. Jobs from before a restart have no entry.
 */
@Injectable()
export class QueueWaitTimer {
  private readonly submittedAt = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  submitted(queueId: string): void {
    this.submittedAt.set(queueId, this.clock.monotonic());
    if (this.submittedAt.size > MAX_TRACKED) {
      this.submittedAt.delete(this.submittedAt.keys().next().value!);
    }
  }

  /** Seconds the job waited since it was submitted by this process (forgotten after), else undefined. */
  take(queueId: string): number | undefined {
    const at = this.submittedAt.get(queueId);
    if (at === undefined) return undefined;
    this.submittedAt.delete(queueId);
    return (this.clock.monotonic() - at) / 1000;
  }
}
