import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { consoleDir } from '../apps/server/src/console-static';
import { jobsApi } from './support/api';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

/** One GET with node:http, which (unlike fetch) hands back the body exactly as it was sent. */
function get(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${path}`, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function decode(encoding: string | undefined, body: Buffer): string {
  if (encoding === 'br') return brotliDecompressSync(body).toString('utf8');
  if (encoding === 'gzip') return gunzipSync(body).toString('utf8');
  return body.toString('utf8');
}

describe('HTTP compression (e2e, in-process server)', () => {
  let server: InProcessServer;
  let auth: Record<string, string>;

  beforeAll(async () => {
    server = await startInProcessServer();
    auth = { authorization: `Bearer ${server.token}` };
    const api = jobsApi(server.baseUrl, server.token);
    // Enough finished (so unchanging) jobs for the list to pass the 1 KB threshold.
    for (let i = 0; i < 6; i++) {
      const { body } = await api.command(['true'], { name: `compressible job ${i}` });
      await api.waitStatus(body.queue_id, ['done']);
    }
  });
  afterAll(() => server.close(true));

  it.each(['br', 'gzip'])(
    'sends GET /api/jobs %s-encoded when accepted, decoding to the same JSON',
    async (encoding) => {
      const plain = await get(server.baseUrl, '/api/jobs', auth);
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.length).toBeGreaterThan(1024);

      const packed = await get(server.baseUrl, '/api/jobs', { ...auth, 'accept-encoding': `${encoding}` });
      expect(packed.status).toBe(200);
      expect(packed.headers['content-encoding']).toBe(encoding);
      expect(packed.headers.vary).toMatch(/accept-encoding/i);
      expect(packed.body.length).toBeLessThan(plain.body.length);
      const json = JSON.parse(decode(encoding, packed.body)) as { items: unknown[]; total: number };
      expect(json).toEqual(JSON.parse(plain.body.toString('utf8')));
    },
  );

  it('prefers brotli when the client takes both, and leaves small answers alone', async () => {
    const both = await get(server.baseUrl, '/api/jobs', { ...auth, 'accept-encoding': 'gzip, deflate, br' });
    expect(both.headers['content-encoding']).toBe('br');
    const small = await get(server.baseUrl, '/api/health', { 'accept-encoding': 'br, gzip' });
    expect(small.status).toBe(200);
    expect(small.body.length).toBeLessThan(1024);
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  describe('the built console', () => {
    const root = consoleDir();
    let mainJs: string;

    beforeAll(() => {
      if (!existsSync(join(root, 'index.html')))
        throw new Error(`${root} is missing: run npm run build first`);
      // What `npm run build` runs after ng build (idempotent).
      execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'compress-console.mjs'), root]);
      const main = readdirSync(root).find((f) => /^main-.*\.js$/.test(f));
      if (!main) throw new Error(`no main-*.js in ${root}`);
      mainJs = `/${main}`;
    });

    it.each([
      ['/', 'index.html'],
      ['main', 'main'],
    ])(
      'serves %s pre-compressed (br, else gzip) and identity to a client that accepts neither',
      async (path) => {
        const url = path === 'main' ? mainJs : path;
        const file = path === 'main' ? mainJs.slice(1) : 'index.html';
        const original = readFileSync(join(root, file), 'utf8');

        const br = await get(server.baseUrl, url, { 'accept-encoding': 'gzip, br' });
        expect(br.status).toBe(200);
        expect(br.headers['content-encoding']).toBe('br');
        // The build-time copy itself, not a per-request recompression.
        expect(br.body.equals(readFileSync(join(root, `${file}.br`)))).toBe(true);
        expect(decode('br', br.body)).toBe(original);

        const gz = await get(server.baseUrl, url, { 'accept-encoding': 'gzip' });
        expect(gz.headers['content-encoding']).toBe('gzip');
        expect(decode('gzip', gz.body)).toBe(original);

        const identity = await get(server.baseUrl, url, { 'accept-encoding': 'identity' });
        expect(identity.status).toBe(200);
        expect(identity.headers['content-encoding']).toBeUndefined();
        expect(identity.body.toString('utf8')).toBe(original);
        const none = await get(server.baseUrl, url, {});
        expect(none.headers['content-encoding']).toBeUndefined();
        expect(none.body.toString('utf8')).toBe(original);
      },
    );
  });
});
