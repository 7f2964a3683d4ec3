import { Injectable } from '@nestjs/common';

export function nowIso(): string {
  return new Date().toISOString();
}

/**
 * The server's time, injectable so tests can move it. `now()` is wall-clock epoch ms, for timestamps
 * that are stored or shown (it may jump, backwards too); `monotonic()` is ms from an arbitrary origin
 * that never goes back, for durations measured within this process (timeouts, latencies). Order is
 * never taken from either: the queue uses an insertion sequence.
 */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }

  monotonic(): number {
    return performance.now();
  }
}
