import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** A secret's SHA-256, what `matchesDigest` compares against (kept instead of hashing it per check). */
export function digestOf(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Constant-time comparison that also hides the length of the secret (both sides are hashed first). */
export function matchesDigest(candidate: string, secretDigest: Buffer): boolean {
  return timingSafeEqual(digestOf(candidate), secretDigest);
}

export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('hex');
}
