import { existsSync, readFileSync, rmSync } from 'node:fs';
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { tightenFileMode, writeFileAtomic } from '@trainyard/core';

const pbkdf2Async = promisify(pbkdf2);
export const PBKDF2_ITERATIONS = 600_000;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
export const MIN_PASSWORD_LENGTH = 8;

/** Optional browser password, stored as `pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>` (0600). */
export class PasswordStore {
  constructor(readonly file: string) {
    tightenFileMode(this.file);
  }

  isSet(): boolean {
    return this.read() !== null;
  }

  async set(password: string): Promise<void> {
    const salt = randomBytes(SALT_BYTES);
    const key = await pbkdf2Async(password, salt, PBKDF2_ITERATIONS, KEY_BYTES, 'sha256');
    writeFileAtomic(
      this.file,
      `pbkdf2_sha256$${PBKDF2_ITERATIONS}$${salt.toString('base64')}$${key.toString('base64')}\n`,
    );
  }

  async verify(password: string): Promise<boolean> {
    const stored = this.read();
    if (!stored) return false;
    const key = await pbkdf2Async(password, stored.salt, stored.iterations, stored.key.length, 'sha256');
    return timingSafeEqual(key, stored.key);
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }

  private read(): { iterations: number; salt: Buffer; key: Buffer } | null {
    if (!existsSync(this.file)) return null;
    const [scheme, iterations, salt, key] = readFileSync(this.file, 'utf8').trim().split('$');
    if (scheme !== 'pbkdf2_sha256' || !salt || !key || !/^\d+$/.test(iterations)) return null;
    return {
      iterations: Number(iterations),
      salt: Buffer.from(salt, 'base64'),
      key: Buffer.from(key, 'base64'),
    };
  }
}
