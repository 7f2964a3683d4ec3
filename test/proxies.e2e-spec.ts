import { once } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { inferenceTokenPath } from '@trainyard/queue';
import { jobsApi } from './support/api';
import { rawRequest, request } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { freePort } from './support/ports';
import { waitFor } from './support/wait';

const { startOpenAiFixture } = require('./fixtures/openai/openai-server.js') as {
  startOpenAiFixture(o?: { token?: string; host?: string }): Promise<OpenAiFixture>;
};
interface FixtureEvent {
  path: string;
  auth: string | null;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  outcome: 'open' | 'finished' | 'client-closed';
  produced?: number;
}
interface OpenAiFixture {
  url: string;
  port: number;
  events: FixtureEvent[];
  close(): Promise<void>;
}

const FIXTURE_BIN = join(__dirname, 'fixtures', 'bin');
const jobEnv = { PATH: `${FIXTURE_BIN}:${process.env.PATH}` };
const q = (base: string) => `base=${encodeURIComponent(base)}`;

/** Raw bytes of an answer (fetch, no decoding). */
async function bytes(
  url: string,
  init: RequestInit,
): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

describe('proxies (e2e: real server, fixture upstreams, real jobs)', () => {
  let server: InProcessServer;
  let fixture: OpenAiFixture;
  let api: ReturnType<typeof jobsApi>;
  let auth: Record<string, string>;
  const post = (path: string, body: unknown, extra: Record<string, string> = {}) =>
    request(server.baseUrl, 'POST', path, { token: server.token, body, headers: extra });
  const get = (path: string, extra: Record<string, string> = {}) =>
    request(server.baseUrl, 'GET', path, { token: server.token, headers: extra });

  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '1', '--upstream-timeout', '1'] });
    api = jobsApi(server.baseUrl, server.token);
    auth = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
    fixture = await startOpenAiFixture();
  });
  afterAll(async () => {
    await fixture.close();
    await server.close(true);
  });

  describe('inference proxy', () => {
    it('streams the SSE answer byte for byte: the same bytes as straight from the upstream', async () => {
      const body = JSON.stringify({ model: 'm', prompt: 'hi', stream: true, max_tokens: 300 });
      const direct = await bytes(`${fixture.url}/completions`, { method: 'POST', body, headers: auth });
      const proxied = await bytes(`${server.baseUrl}/api/inference/completions?${q(fixture.url)}`, {
        method: 'POST',
        body,
        headers: auth,
      });
      expect(proxied.status).toBe(200);
      expect(proxied.headers.get('content-type')).toBe('text/event-stream');
      expect(proxied.body.length).toBeGreaterThan(300 * 20);
      expect(proxied.body.equals(direct.body)).toBe(true);
      // The request body went up as sent; our credentials did not.
      const seen = fixture.events.at(-1)!;
      expect(seen.body).toEqual(JSON.parse(body));
      expect(seen.auth).toBeNull();
    });

    it('passes each chunk on at once: the first arrives long before the upstream has produced the last', async () => {
      const res = await fetch(`${server.baseUrl}/api/inference/chat/completions?${q(fixture.url)}`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ stream: true, max_tokens: 20, fixture: { delay_ms: 100 } }),
      });
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(Buffer.from(first.value).toString()).toMatch(/^data: .*chat\.completion\.chunk/);
      expect(fixture.events.at(-1)!.produced).toBeLessThan(5);
      await reader.cancel();
    });

    it('a client that disconnects mid-stream closes the upstream request at once', async () => {
      const abort = new AbortController();
      const res = await fetch(`${server.baseUrl}/api/inference/completions?${q(fixture.url)}`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ stream: true, max_tokens: 1000, fixture: { delay_ms: 20 } }),
        signal: abort.signal,
      });
      await res.body!.getReader().read();
      const event = fixture.events.at(-1)!;
      abort.abort();
      await waitFor(
        async () => (event.outcome === 'client-closed' ? true : undefined),
        'the fixture to see the close',
        2000,
      );
      expect(event.produced).toBeLessThan(200);
    });

    it('respects backpressure: a client that stops reading holds the upstream back (nothing buffered whole)', async () => {
      const tokens = 1_000_000; // ~85 MB of SSE: more than the loopback socket buffers on the way hold
      // A plain node client, paused after the first chunk and then destroyed: no stream buffering of its own.
      const req = httpRequest(`${server.baseUrl}/api/inference/completions?${q(fixture.url)}`, {
        method: 'POST',
        headers: auth,
        agent: false,
      });
      req.end(JSON.stringify({ stream: true, max_tokens: tokens }));
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      await once(res, 'data');
      res.pause();
      const event = fixture.events.at(-1)!;
      try {
        // Unread, the stream stops once the socket buffers on the way are full: the fixture's count
        // stays put (a proxy that read the upstream into memory would keep it climbing to the end).
        let last = -1;
        let steady = 0;
        // Generous: on a slow machine the buffers on the way take a while to fill (a proxy that
        // buffered whole would let the fixture reach `tokens`, which the last check catches).
        const deadline = Date.now() + 40_000;
        while (steady < 3 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 250));
          steady = event.produced === last ? steady + 1 : 0;
          last = event.produced!;
        }
        expect(steady).toBe(3);
        expect(event.outcome).toBe('open');
        expect(event.produced).toBeLessThan(tokens);
      } finally {
        req.destroy();
      }
      await waitFor(async () => (event.outcome === 'client-closed' ? true : undefined), 'the close', 2000);
    }, 60_000);

    it('a client that leaves before the upstream answers closes the upstream request too', async () => {
      const abort = new AbortController();
      const pending = fetch(`${server.baseUrl}/api/inference/completions?${q(fixture.url)}`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ fixture: { stall: true } }),
        signal: abort.signal,
      }).catch(() => null);
      const event = await waitFor(
        async () => fixture.events.find((e) => e.outcome === 'open' && e.body.fixture),
        'the stalled request',
        2000,
      );
      abort.abort();
      await pending;
      await waitFor(
        async () => (event.outcome === 'client-closed' ? true : undefined),
        'the fixture to see the close',
        500,
      );
    });

    it('returns upstream errors with their status and body; 401/403 are marked X-Upstream-Auth-Failed', async () => {
      const failed = await post(`/api/inference/completions?${q(fixture.url)}`, { fixture: { status: 500 } });
      expect(failed.status).toBe(500);
      expect(failed.body).toEqual({ error: { message: 'fixture status 500' } });
      expect(failed.headers.get('x-upstream-auth-failed')).toBeNull();
      for (const status of [401, 403]) {
        const denied = await post(`/api/inference/completions?${q(fixture.url)}`, { fixture: { status } });
        expect(denied.status).toBe(status);
        expect(denied.headers.get('x-upstream-auth-failed')).toBe('1');
      }
    });

    it('refused → 502, unknown host → 502, no answer in time → 504, each naming the upstream', async () => {
      const closed = await freePort();
      const refused = await get(`/api/inference/models?${q(`http://127.0.0.1:${closed}/v1`)}`);
      expect(refused.status).toBe(502);
      expect(refused.body.message).toContain(`127.0.0.1:${closed}`);
      const unknown = await get(`/api/inference/models?${q('http://no-such-host.invalid:8000/v1')}`);
      expect(unknown.status).toBe(502);
      expect(unknown.body.message).toContain('no-such-host.invalid:8000');
      const stalled = await post(`/api/inference/completions?${q(fixture.url)}`, {
        fixture: { stall: true },
      });
      expect(stalled.status).toBe(504);
      expect(stalled.body).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
      expect(stalled.body.message).toContain(`127.0.0.1:${fixture.port}`);
    });

    it('refuses a base that is not http(s) with 400 naming base', async () => {
      for (const base of ['ftp://127.0.0.1/v1', 'file:///etc/passwd', 'not a url', 'http://u:p@127.0.0.1/']) {
        const answer = await get(`/api/inference/models?${q(base)}`);
        expect(answer.status).toBe(400);
        expect(answer.body.details?.[0]?.field).toBe('base');
      }
      expect((await get('/api/inference/models')).status).toBe(400);
    });

    it('sends a real inference job’s token (from its token file) upstream, never to the browser; X-Upstream-Token wins', async () => {
      const port = await freePort();
      const { body } = await api.submit({
        job_type: 'inference',
        job_params: { model: 'fixture-model', port },
        env: jobEnv,
      });
      const id = body.queue_id as string;
      await api.waitStatus(id, ['running']);
      const base = `http://127.0.0.1:${port}/v1`;
      await waitFor(
        async () => ((await get(`/api/inference/health?${q(base)}`)).status === 200 ? true : undefined),
        'the inference job to answer',
        10_000,
      );
      const token = readFileSync(inferenceTokenPath(server.config.paths.secretsDir, id), 'utf8').trim();
      // The console's picker: the running job and the base URL it answers on (no token).
      const listed = await get('/api/inference/endpoints');
      expect(listed.body).toEqual([
        { queue_id: id, label: `inference ${id}`, base_url: `http://127.0.0.1:${port}/v1`, has_token: true },
      ]);

      const models = await get(`/api/inference/models?${q(base)}`);
      expect(models.status).toBe(200);
      expect(models.body.data[0].id).toBe('fixture-model');
      expect(JSON.stringify([...models.headers]) + models.text).not.toContain(token);

      const wrong = await get(`/api/inference/models?${q(base)}`, { 'x-upstream-token': 'wrong' });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('x-upstream-auth-failed')).toBe('1');
      expect(wrong.headers.get('www-authenticate')).toBeNull();
      const streamed = await post(`/api/inference/chat/completions?${q(base)}`, {
        stream: true,
        max_tokens: 3,
      });
      expect(streamed.text).toMatch(/tok2.*\n\ndata: \[DONE\]\n\n$/s);

      // Another program (another user's) on another loopback socket of that port: [::1]:port is not
      // the job's 127.0.0.1:port, and `localhost` may resolve to it. It is sent nothing, neither the
      // token (before an earlier fix) nor the prompts (before this one): 502 naming it.
      const heard: Array<string | undefined> = [];
      const other = createServer((req, res) => {
        heard.push(req.headers.authorization);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
      });
      other.listen(port, '::1');
      await once(other, 'listening');
      try {
        for (const host of ['[::1]', 'localhost']) {
          const answer = await get(`/api/inference/models?${q(`http://${host}:${port}/v1`)}`);
          expect(answer.status).toBe(502);
          expect(answer.body.message).toContain(
            `Port [::1]:${port} of job ${id} is held by a process that is not the job's`,
          );
        }
        expect(heard).toEqual([]);
      } finally {
        other.close();
      }

      await api.call('POST', `/api/jobs/${id}/control/kill`);
      await api.waitStatus(id, ['aborted', 'done', 'failed']);
      // Ended: its token is no longer offered for that port.
      expect((await get(`/api/inference/models?${q(base)}`)).status).toBe(502);
      expect((await get('/api/inference/endpoints')).body).toEqual([]);
    });
  });

  describe('locked inference proxy', () => {
    let locked: InProcessServer;
    beforeAll(async () => {
      locked = await startInProcessServer({ argv: ['--lock-inference-proxy'] });
    });
    afterAll(() => locked.close(true));

    it('reaches loopback servers only (403 otherwise); the scheme check still applies', async () => {
      const call = (base: string) =>
        request(locked.baseUrl, 'GET', `/api/inference/models?${q(base)}`, { token: locked.token });
      expect((await call(fixture.url)).status).toBe(200);
      expect((await call(`http://[::1]:${fixture.port}/v1`)).status).not.toBe(403);
      const remote = await call('http://192.0.2.77:8000/v1');
      expect(remote.status).toBe(403);
      expect(remote.body.message).toContain('192.0.2.77:8000');
      expect((await call('gopher://127.0.0.1/')).status).toBe(400);
    });
  });

  describe('TensorBoard proxy', () => {
    let id: string;
    let prefix: string;
    beforeAll(async () => {
      const port = await freePort();
      const { body } = await api.submit({
        job_type: 'tensorboard',
        job_params: { logdir: '/tmp', port },
        env: jobEnv,
      });
      id = body.queue_id;
      prefix = `/api/tb/${id}`;
      await api.waitStatus(id, ['running']);
      await waitFor(
        async () => ((await get(`${prefix}/echo`)).status === 200 ? true : undefined),
        'tensorboard up',
        10_000,
      );
    });

    it('forwards path and query, without our credentials or hop-by-hop headers', async () => {
      const raw = await rawRequest(
        server.baseUrl,
        'GET',
        `${prefix}/echo?run=a%2Fb&tag=loss&token=${server.token}`,
        {
          authorization: `Bearer ${server.token}`,
          cookie: 'trainyard_session=secret',
          connection: 'keep-alive, x-hop',
          'x-hop': '1',
          'x-custom': 'kept',
        },
      );
      const answer = { status: raw.status, body: JSON.parse(raw.text), headers: raw.headers };
      expect(answer.status).toBe(200);
      expect(answer.body.url).toBe(`${prefix}/echo?run=a%2Fb&tag=loss`);
      expect(answer.body.headers).not.toHaveProperty('authorization');
      expect(answer.body.headers).not.toHaveProperty('cookie');
      expect(answer.body.headers).not.toHaveProperty('x-hop');
      expect(answer.body.headers['x-custom']).toBe('kept');
      expect(answer.headers['set-cookie']).toBeUndefined();
    });

    it('passes bodies of any type (TensorBoard posts forms) and redirects back unfollowed', async () => {
      const form = await fetch(`${server.baseUrl}${prefix}/echo`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${server.token}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'tags=%5B%22loss%22%5D',
      });
      const echoed = (await form.json()) as { body: string };
      expect(Buffer.from(echoed.body, 'base64').toString()).toBe('tags=%5B%22loss%22%5D');
      const moved = await fetch(`${server.baseUrl}${prefix}/moved`, {
        headers: { authorization: `Bearer ${server.token}` },
        redirect: 'manual',
      });
      expect(moved.status).toBe(302);
      expect(moved.headers.get('location')).toBe(`${prefix}/echo`);
      // Elsewhere an unknown content type is still refused.
      const other = await fetch(`${server.baseUrl}/api/queue`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${server.token}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'a=1',
      });
      expect(other.status).toBe(415);
    });

    it('relays WebSocket upgrades both ways, text as text and binary as binary, without our credentials', async () => {
      const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}${prefix}/ws`, {
        headers: { authorization: `Bearer ${server.token}` },
      });
      const messages: Array<[string, boolean]> = [];
      ws.on('message', (data: Buffer, isBinary) => messages.push([data.toString(), isBinary]));
      await once(ws, 'open');
      ws.send('ping');
      ws.send(Buffer.from([1, 2, 3]), { binary: true });
      await waitFor(async () => (messages.length >= 3 ? true : undefined), 'three messages', 3000);
      expect(JSON.parse(messages[0][0])).toEqual({
        hello: `${prefix}/ws`,
        cookie: null,
        authorization: null,
      });
      expect(messages.slice(1)).toEqual([
        ['ping', false],
        ['\u0001\u0002\u0003', true],
      ]);
      ws.close();
      // Without credentials the upgrade is refused like every other.
      const anon = new WebSocket(`${server.baseUrl.replace('http', 'ws')}${prefix}/ws`);
      const [, res] = await once(anon, 'unexpected-response');
      expect((res as { statusCode: number }).statusCode).toBe(401);
    });

    it('unknown or finished job → 404; job up but nothing listening → 502', async () => {
      expect((await get('/api/tb/q_1234567890123_deadbeef/echo')).status).toBe(404);
      const port = await freePort();
      const { body } = await api.submit({
        job_type: 'tensorboard',
        job_params: { logdir: '/tmp', port },
        env: { ...jobEnv, FAKE_TB_NO_LISTEN: '1' },
      });
      await api.waitStatus(body.queue_id, ['running']);
      const down = await get(`/api/tb/${body.queue_id}/echo`);
      expect(down.status).toBe(502);
      await api.call('POST', `/api/jobs/${body.queue_id}/control/kill`);
      await api.waitStatus(body.queue_id, ['aborted', 'done', 'failed']);
      expect((await get(`/api/tb/${body.queue_id}/echo`)).status).toBe(404);
    });
  });

  describe('dataset servers', () => {
    let upstream: Server;
    let port: number;
    const seen: Array<{ url: string; auth: string | undefined }> = [];
    const lanIp = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === 'IPv4')?.address;

    beforeAll(async () => {
      upstream = createServer((req, res) => {
        seen.push({ url: req.url!, auth: req.headers.authorization });
        if (req.url!.includes('/page')) {
          // A page with script, as any server on this host may send: never run as our origin.
          const status = req.url!.includes('/iter') ? 500 : 200;
          res.writeHead(status, { 'content-type': 'text/html', 'content-security-policy': 'default-src *' });
          res.end('<script>alert(1)</script>');
          return;
        }
        if (req.url!.includes('/iter')) {
          res.writeHead(200, { 'content-type': 'application/x-ndjson' });
          res.write('{"text":"a"}\n{"text":');
          setTimeout(() => res.end('"b"}\n'), 20);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
      }).listen(0, '0.0.0.0');
      await once(upstream, 'listening');
      port = (upstream.address() as { port: number }).port;
    });
    afterAll(() => new Promise((r) => upstream.close(r)));

    it('reaches loopback servers; collects iter NDJSON into {rows}; limit 1..500', async () => {
      const base = `http://127.0.0.1:${port}`;
      expect((await get(`/api/dataset-server/proxy/health?${q(base)}`)).body).toEqual({ status: 'ok' });
      expect(seen.at(-1)!.url).toBe('/v1/health');
      const rows = await get(`/api/dataset-server/proxy/iter?${q(base)}&handle=h1&position=5&limit=2`);
      expect(rows.body).toEqual({ rows: [{ text: 'a' }, { text: 'b' }] });
      expect(seen.at(-1)!.url).toBe('/v1/datasets/h1/iter?position=5&limit=2');
      for (const limit of ['0', '501', '1.5']) {
        const bad = await get(`/api/dataset-server/proxy/iter?${q(base)}&handle=h1&limit=${limit}`);
        expect(bad.status).toBe(400);
        expect(bad.body.details[0].field).toBe('limit');
      }
    });

    it('sends an upstream page sandboxed, passed on or as an error (before: with its own CSP, as our origin)', async () => {
      const base = `http://127.0.0.1:${port}/page`;
      for (const [path, status] of [
        ['health?', 200],
        ['iter?handle=h1&', 500],
      ] as const) {
        const answer = await get(`/api/dataset-server/proxy/${path}${q(base)}`);
        expect([answer.status, answer.headers.get('content-security-policy')]).toEqual([
          status,
          "sandbox; default-src 'none'; frame-ancestors 'none'",
        ]);
        expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      }
      // A navigation from a page of another port of this host (same-site) is refused unasked.
      const before = seen.length;
      const navigated = await get(`/api/dataset-server/proxy/health?${q(base)}`, {
        'sec-fetch-dest': 'document',
        'sec-fetch-mode': 'navigate',
        'sec-fetch-site': 'same-site',
      });
      expect(navigated.status).toBe(403);
      // Nor a script's no-cors fetch from such a page (the cookie goes with it; before: it was sent on,
      // a blind request of the page's choosing from this server).
      const fetched = await get(`/api/dataset-server/proxy/health?${q(base)}`, {
        'sec-fetch-dest': 'empty',
        'sec-fetch-mode': 'no-cors',
        'sec-fetch-site': 'same-site',
      });
      expect(fetched.status).toBe(403);
      expect(fetched.body.message).toContain(
        'not a script request from another site (Sec-Fetch-Site: same-site)',
      );
      expect(seen.length).toBe(before);
      // The console's own requests pass.
      const ours = await get(`/api/dataset-server/proxy/health?${q(base)}`, {
        'sec-fetch-dest': 'empty',
        'sec-fetch-mode': 'cors',
        'sec-fetch-site': 'same-origin',
      });
      expect(ours.status).toBe(200);
    });

    (lanIp ? it : it.skip)(
      'refuses unregistered non-loopback servers (403) until registered; sends the registered token',
      async () => {
        const base = `http://${lanIp}:${port}`;
        const refused = await get(`/api/dataset-server/proxy/datasets?${q(base)}`);
        expect(refused.status).toBe(403);
        expect(refused.body.message).toContain('register the server first');
        const before = seen.length;

        const crlf = await post('/api/dataset-servers/user', {
          label: 'x',
          base_url: base,
          auth_token: 'a\r\nX-Evil: 1',
        });
        expect(crlf.status).toBe(400);
        expect(crlf.body.details[0].field).toBe('auth_token');
        const added = await post('/api/dataset-servers/user', {
          label: 'data host',
          base_url: `${base}/`,
          auth_token: 'ds-secret',
        });
        expect(added.status).toBe(201);
        expect(added.body).toEqual({
          id: expect.stringMatching(/^user:/),
          label: 'data host',
          base_url: base,
          has_token: true,
        });
        expect(statSync(server.config.paths.datasetServerRegistry).mode & 0o777).toBe(0o600);
        expect((await get('/api/dataset-servers/user')).text).not.toContain('ds-secret');

        expect((await get(`/api/dataset-server/proxy/datasets?${q(base)}`)).status).toBe(200);
        expect(seen.slice(before)).toEqual([{ url: '/v1/datasets', auth: 'Bearer ds-secret' }]);

        const entry = added.body.id.slice('user:'.length);
        expect(
          (
            await request(server.baseUrl, 'DELETE', `/api/dataset-servers/user/${entry}`, {
              token: server.token,
            })
          ).status,
        ).toBe(204);
        expect((await get(`/api/dataset-server/proxy/datasets?${q(base)}`)).status).toBe(403);
      },
    );
  });

  describe('generation presets', () => {
    it('bundled presets are read-only; user presets (0600) shadow them; names are validated', async () => {
      const list = await get('/api/generation-configs');
      expect(list.body.map((p: { name: string }) => p.name)).toEqual(
        expect.arrayContaining(['greedy', 'precise', 'balanced', 'creative', 'beam_search', 'contrastive']),
      );
      expect(
        (await request(server.baseUrl, 'DELETE', '/api/generation-configs/greedy', { token: server.token }))
          .status,
      ).toBe(403);

      const mine = { temperature: 0.3, top_p: 0.8 };
      const put = (name: string, body: unknown) =>
        request(server.baseUrl, 'PUT', `/api/generation-configs/${name}`, { token: server.token, body });
      expect((await put('mine', mine)).status).toBe(200);
      expect((await get('/api/generation-configs/mine')).body).toEqual(mine);
      expect(statSync(join(server.config.paths.generationConfigsDir, 'mine.json')).mode & 0o777).toBe(0o600);

      expect((await put('greedy', { do_sample: true })).status).toBe(200);
      expect((await get('/api/generation-configs/greedy')).body).toEqual({ do_sample: true });
      const shadow = (await get('/api/generation-configs')).body.find(
        (p: { name: string }) => p.name === 'greedy',
      );
      expect(shadow).toEqual({ name: 'greedy', builtin: false, shadows_builtin: true });
      const restored = await request(server.baseUrl, 'DELETE', '/api/generation-configs/greedy', {
        token: server.token,
      });
      expect(restored.body).toEqual({ name: 'greedy', restored_builtin: true });
      expect((await get('/api/generation-configs/greedy')).body.do_sample).toBe(false);

      for (const name of ['..%2Fescape', '.hidden', 'a'.repeat(65), 'sp%20ace']) {
        const bad = await put(name, mine);
        expect(bad.status).toBe(400);
      }
      expect((await put('list', [1, 2])).status).toBe(400);
      expect((await get('/api/generation-configs/nope')).status).toBe(404);
      // Names every JavaScript object has are no bundled preset (they read as one: 200 {}, 403).
      for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
        expect((await get(`/api/generation-configs/${name}`)).status).toBe(404);
        const del = await request(server.baseUrl, 'DELETE', `/api/generation-configs/${name}`, {
          token: server.token,
        });
        expect(del.status).toBe(404);
      }
      expect((await put('constructor', mine)).status).toBe(200);
      const deleted = await request(server.baseUrl, 'DELETE', '/api/generation-configs/constructor', {
        token: server.token,
      });
      expect(deleted.body).toEqual({ name: 'constructor', restored_builtin: false });
      expect(existsSync(join(server.config.paths.generationConfigsDir, 'list.json'))).toBe(false);
    });
  });
});
