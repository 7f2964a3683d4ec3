import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Ingest tokens look like `tyr_<run_id>.<secret>`: the run is found without a search. */
export const RUN_TOKEN_PREFIX = 'tyr_';
/** How long a job's token keeps working after the job ends (late flushes, post-processing). */
export const RUN_TOKEN_GRACE_MS = 60 * 60 * 1000;

export function mintRunToken(runId: string): { token: string; hash: string } {
  const token = `${RUN_TOKEN_PREFIX}${runId}.${randomBytes(24).toString('base64url')}`;
  return { token, hash: hashRunToken(token) };
}

export function hashRunToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The run a token claims to be for (not yet verified), or null when it is not shaped like one. */
export function runIdOfToken(token: string): string | null {
  if (!token.startsWith(RUN_TOKEN_PREFIX)) return null;
  const dot = token.lastIndexOf('.');
  return dot > RUN_TOKEN_PREFIX.length ? token.slice(RUN_TOKEN_PREFIX.length, dot) : null;
}

/** Whether `token` hashes to `hash` (constant time). */
export function runTokenMatches(token: string, hash: string): boolean {
  const a = Buffer.from(hashRunToken(token), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
