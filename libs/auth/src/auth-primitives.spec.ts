import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PasswordStore, PBKDF2_ITERATIONS } from './password-store';
import { TokenStore } from './token-store';
import { UrlTokens, URL_TOKEN_TTL_MS } from './url-tokens';

describe('auth primitives', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ty-auth-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe(TokenStore.name, () => {
    it('creates 64 hex chars in a 0600 file, keeps it across loads and rotates on demand', () => {
      const file = join(dir, 'auth_token');
      const sut = new TokenStore(file, false);
      expect(sut.value).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(new TokenStore(file, false).value).toBe(sut.value);
      const rotated = new TokenStore(file, true);
      expect(rotated.value).not.toBe(sut.value);
      expect(readFileSync(file, 'utf8').trim()).toBe(rotated.value);
      expect(rotated.matches(sut.value)).toBe(false);
      expect(rotated.matches(rotated.value)).toBe(true);
    });
  });

  describe(PasswordStore.name, () => {
    it('stores a salted PBKDF2-SHA256 hash (≥600k iterations) 0600 and verifies it', async () => {
      const file = join(dir, 'password_hash');
      const sut = new PasswordStore(file);
      expect(sut.isSet()).toBe(false);
      await sut.set('correct horse');
      const [scheme, iterations, salt] = readFileSync(file, 'utf8').trim().split('$');
      expect(scheme).toBe('pbkdf2_sha256');
      expect(Number(iterations)).toBeGreaterThanOrEqual(600_000);
      expect(Number(iterations)).toBe(PBKDF2_ITERATIONS);
      expect(Buffer.from(salt, 'base64')).toHaveLength(16);
      expect(readFileSync(file, 'utf8')).not.toContain('correct horse');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      await expect(sut.verify('correct horse')).resolves.toBe(true);
      await expect(sut.verify('wrong horse')).resolves.toBe(false);
    });
  });

  describe(UrlTokens.name, () => {
    it('accepts a token once, and never after 60 s', () => {
      const sut = new UrlTokens();
      const { token } = sut.issue(1_000);
      expect(sut.consume(token, 2_000)).toBe(true);
      expect(sut.consume(token, 2_000)).toBe(false);
      const late = sut.issue(1_000);
      expect(sut.consume(late.token, 1_000 + URL_TOKEN_TTL_MS)).toBe(false);
    });
  });
});
