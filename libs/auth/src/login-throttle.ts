import { isIPv4, isIPv6 } from 'node:net';
import { DomainError } from '@trainyard/core';

/** Failed guesses a client may make per window (login and set-password's current_password together). */
export const LOGIN_MAX_FAILURES = 5;
export const LOGIN_WINDOW_MS = 60_000;
/** Password checks (PBKDF2, ~0.3 s of CPU each) running at once, server-wide; more wait in line. */
export const MAX_CONCURRENT_CHECKS = 2;
/** Checks that may wait for a slot; beyond this a guess is refused with 429 at once. */
export const MAX_QUEUED_CHECKS = 16;

interface Bucket {
  /** Failures counted in the window that began at `since`. */
  failures: number;
  /** Attempts reserved and still being checked: they count against the budget until they settle. */
  pending: number;
  since: number;
}

/**
 * The client a guess is charged to: every loopback address (127.0.0.0/8, ::1, ::ffff:127.x) is one
 * client (any local user can pick any of them), an IPv6 address is charged to its /64 (one host
 * usually owns the whole prefix), any other address is itself.
 */
export function throttleKey(address: string): string {
  const v4 = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(v4)) return v4.startsWith('127.') ? 'loopback' : v4;
  if (!isIPv6(address)) return address;
  const groups = expandIPv6(address);
  if (groups.every((g, i) => (i < 7 ? g === 0 : g === 1))) return 'loopback';
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (an embedded dotted IPv4 tail included). */
function expandIPv6(address: string): number[] {
  let text = address.split('%')[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** A counting semaphore with a bounded line: `acquire` resolves false when the line is full. */
class CheckSlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly limit: number,
    private readonly maxWaiting: number,
  ) {}

  async acquire(): Promise<boolean> {
    if (this.running < this.limit) {
      this.running += 1;
      return true;
    }
    if (this.waiting.length >= this.maxWaiting) return false;
    // release() hands its slot straight to the next in line, so `running` stays as it is.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return true;
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}

/**
 * Throttles credential guesses per client (see `throttleKey`): at most `maxFailures` failed guesses
 * per `windowMs`, counted from the first guess of the window. A guess is reserved BEFORE it is checked,
 * so parallel guesses cannot exceed the budget, and checks run at most `maxConcurrent` at a time
 * server-wide. A success clears the client's failures.
 */
export class LoginThrottle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly slots: CheckSlots;

  constructor(
    private readonly maxFailures = LOGIN_MAX_FAILURES,
    private readonly windowMs = LOGIN_WINDOW_MS,
    maxConcurrent = MAX_CONCURRENT_CHECKS,
    maxQueued = MAX_QUEUED_CHECKS,
  ) {
    this.slots = new CheckSlots(maxConcurrent, maxQueued);
  }

  /**
   * Runs `check` (one credential guess from `address`) within the client's budget and resolves with
   * its verdict; `false` is counted as a failure.
   * @throws DomainError TOO_MANY_LOGIN_ATTEMPTS (429, details.retry_after_seconds) when the budget
   *   of the window is used up (pending guesses included) or too many checks are already waiting.
   */
  async attempt(
    address: string,
    check: () => Promise<boolean> | boolean,
    now = Date.now(),
  ): Promise<boolean> {
    const key = throttleKey(address);
    const bucket = this.reserve(key, now);
    let verdict = false;
    let evaluated = false;
    try {
      if (!(await this.slots.acquire())) throw tooMany(1_000);
      try {
        verdict = await check();
        // Only an answer counts as a guess: a check that threw (a fault of ours) told the client nothing.
        evaluated = true;
      } finally {
        this.slots.release();
      }
    } finally {
      bucket.pending -= 1;
      if (verdict) bucket.failures = 0;
      else if (evaluated) bucket.failures += 1;
      if (bucket.failures === 0 && bucket.pending === 0) this.buckets.delete(key);
    }
    return verdict;
  }

  /** Counts a failed guess that needed no slow check (a wrong token), or refuses it when over budget. */
  recordFailure(address: string, now = Date.now()): void {
    const bucket = this.reserve(throttleKey(address), now);
    bucket.pending -= 1;
    bucket.failures += 1;
  }

  /** The client proved itself with another credential (the bearer token): its failures are forgiven. */
  recordSuccess(address: string): void {
    const key = throttleKey(address);
    const bucket = this.buckets.get(key);
    if (!bucket) return;
    bucket.failures = 0;
    if (bucket.pending === 0) this.buckets.delete(key);
  }

  private reserve(key: string, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (bucket && now - bucket.since >= this.windowMs) {
      // A new window: failures of the old one are forgotten; guesses still in flight count here.
      bucket.failures = 0;
      bucket.since = now;
    }
    if (!bucket) {
      this.evictIfFull(now);
      bucket = { failures: 0, pending: 0, since: now };
      this.buckets.set(key, bucket);
    }
    if (bucket.failures + bucket.pending >= this.maxFailures) {
      throw tooMany(this.windowMs - (now - bucket.since));
    }
    bucket.pending += 1;
    return bucket;
  }

  /** Bounds memory against a flood of addresses: expired windows go first, then the oldest idle one. */
  private evictIfFull(now: number): void {
    if (this.buckets.size < 10_000) return;
    for (const [key, bucket] of this.buckets) {
      if (bucket.pending === 0 && now - bucket.since >= this.windowMs) this.buckets.delete(key);
    }
    if (this.buckets.size < 10_000) return;
    for (const [key, bucket] of this.buckets) {
      if (bucket.pending === 0) {
        this.buckets.delete(key);
        return;
      }
    }
  }
}

function tooMany(waitMs: number): DomainError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new DomainError(
    'TOO_MANY_LOGIN_ATTEMPTS',
    `Too many failed sign-in attempts from this address; try again in ${seconds} s (the bearer token is always accepted)`,
    { retry_after_seconds: seconds },
  );
}
