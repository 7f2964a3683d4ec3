import { newSecret, sha256Hex } from './secrets';

export const URL_TOKEN_TTL_MS = 60_000;

/** One-shot tokens for `?token=` links (browser bootstrap, cross-node sign-in): 60 s, usable once. */
export class UrlTokens {
  private readonly live = new Map<string, number>();

  issue(now = Date.now()): { token: string; expiresAt: number } {
    this.sweep(now);
    const token = `ut_${newSecret(24)}`;
    const expiresAt = now + URL_TOKEN_TTL_MS;
    this.live.set(sha256Hex(token), expiresAt);
    return { token, expiresAt };
  }

  /** True once per token, within its lifetime. */
  consume(token: string, now = Date.now()): boolean {
    const key = sha256Hex(token);
    const expiresAt = this.live.get(key);
    this.live.delete(key);
    return expiresAt !== undefined && expiresAt > now;
  }

  private sweep(now: number): void {
    for (const [key, expiresAt] of this.live) if (expiresAt <= now) this.live.delete(key);
  }
}
