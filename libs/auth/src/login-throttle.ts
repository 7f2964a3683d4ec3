/**
 * Failed logins per client address: after `maxFailures` inside `windowMs`, that address is refused
 * until the window has passed (the original server had no rate limiting at all).
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly maxFailures = 5,
    private readonly windowMs = 60_000,
  ) {}

  /** Milliseconds the address must still wait, or 0 when it may try. */
  retryAfterMs(address: string, now = Date.now()): number {
    const entry = this.failures.get(address);
    if (!entry) return 0;
    if (now - entry.since >= this.windowMs) {
      this.failures.delete(address);
      return 0;
    }
    return entry.count >= this.maxFailures ? this.windowMs - (now - entry.since) : 0;
  }

  recordFailure(address: string, now = Date.now()): void {
    const entry = this.failures.get(address);
    if (!entry || now - entry.since >= this.windowMs) this.failures.set(address, { count: 1, since: now });
    else entry.count += 1;
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value as string);
  }

  recordSuccess(address: string): void {
    this.failures.delete(address);
  }
}
