import { existsSync, readFileSync } from 'node:fs';
import { tightenFileMode, writeFileAtomic } from '@trainyard/core';
import { digestOf, matchesDigest, newSecret } from './secrets';

/** The bearer token: 32 random bytes as 64 hex chars in `<home>/auth_token` (0600). */
export class TokenStore {
  private readonly token: string;
  private readonly digest: Buffer;
  /** True when this load wrote a new token (first start, `--regen-token`, or a missing/invalid file). */
  readonly created: boolean;

  constructor(
    readonly file: string,
    regenerate: boolean,
  ) {
    const existing = !regenerate && existsSync(this.file) ? readFileSync(this.file, 'utf8').trim() : '';
    if (/^[0-9a-f]{64}$/.test(existing)) {
      tightenFileMode(this.file);
      this.token = existing;
      this.created = false;
    } else {
      this.token = newSecret(32);
      writeFileAtomic(this.file, `${this.token}\n`);
      this.created = true;
    }
    this.digest = digestOf(this.token);
  }

  get value(): string {
    return this.token;
  }

  matches(candidate: string): boolean {
    return matchesDigest(candidate, this.digest);
  }
}
