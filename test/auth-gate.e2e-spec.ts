import { connect } from 'node:net';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { Credentials } from '@trainyard/auth';
import { rawRequest, request } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { fillPath, PATH_TRICKS, specRoutes, WS_ROUTES } from './support/path-tricks';

/** How the server answered an upgrade: 'open' or the HTTP status it refused with. */
async function wsOutcome(url: string, headers: Record<string, string> = {}): Promise<'open' | number> {
  const ws = new WebSocket(url, { headers });
  try {
    return await Promise.race([
      once(ws, 'open').then(() => 'open' as const),
      once(ws, 'unexpected-response').then(([, res]) => (res as { statusCode: number }).statusCode),
    ]);
  } finally {
    ws.terminate();
  }
}

const FOREIGN = 'http://127.0.0.1:1';

describe('auth gate: matched route, deny by default (e2e)', () => {
  let server: InProcessServer;
  let base: string;
  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '1', '--allowed-host', 'lab.example'] });
    base = server.baseUrl;
  });
  afterAll(() => server.close(true));

  const gated = specRoutes().filter((r) => !r.open);
  const cases = gated.flatMap((route) =>
    PATH_TRICKS.map(([trick, spell]) => ({ route, trick, spell }) as const),
  );

  it(`no spelling of a gated route answers without credentials (${cases.length} requests)`, async () => {
    const leaks: string[] = [];
    for (const { route, trick, spell } of cases) {
      const path = spell(fillPath(route.path), base);
      // Body-less, like a foreign page's no-cors POST; JSON where a body is expected.
      const answer = await rawRequest(base, route.method, path);
      if (![400, 401, 404].includes(answer.status))
        leaks.push(`${route.method} ${path} (${trick}): ${answer.status} ${answer.text.slice(0, 80)}`);
    }
    expect(leaks).toEqual([]);
    // None of them changed anything: no password, nothing queued, the server did not restart.
    const status = await request(base, 'GET', '/api/auth/status');
    expect(status.body.password_set).toBe(false);
    const queue = await request(base, 'GET', '/api/queue', { token: server.token });
    expect(queue.body.items).toEqual([]);
    expect(server.restarts).toBe(0);
  });

  it('the encoded routes of the report are refused with 401 UNAUTHENTICATED', async () => {
    for (const [method, path] of [
      ['GET', '/%61pi/jobs'],
      ['POST', '/%61pi/queue'],
      ['POST', '/%61pi/auth/set-password'],
      ['GET', '/%6detrics'],
    ]) {
      const answer = await rawRequest(base, method, path, { 'content-type': 'application/json' }, '{}');
      expect([method, path, answer.status]).toEqual([method, path, 401]);
      expect(JSON.parse(answer.text)).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    // With credentials the same spelling reaches the route: the gate and the router agree.
    const answer = await rawRequest(base, 'GET', '/%61pi/jobs', { authorization: `Bearer ${server.token}` });
    expect(answer.status).toBe(200);
  });

  it('a 401 says which credential was not accepted, or what to send when none was (HTTP and WebSocket)', async () => {
    const message = async (headers: Record<string, string>, path = '/api/jobs') =>
      JSON.parse((await rawRequest(base, 'GET', path, headers)).text).message as string;
    expect(await message({})).toMatch(/^Authentication required: send Authorization: Bearer <token>/);
    // Before: a wrong token read exactly as no token (a trial).
    const wrong = await message({ authorization: 'Bearer not-the-token' });
    expect(wrong).toMatch(/^The bearer token was not accepted: it is not this server’s token/);
    expect(wrong).not.toContain('not-the-token');
    expect(await message({ authorization: 'Token abc' })).toBe(
      'The Authorization header must be "Bearer <token>"',
    );
    const cookie = `${server.app.get(Credentials).sessionCookie}=expired-or-unknown`;
    expect(await message({ cookie })).toBe('The session has expired or was signed out: sign in again');
    expect(await message({}, '/api/jobs?token=ut_spent')).toMatch(
      /^The \?token= in the URL was not accepted: .*one-shot sign-in link already used or expired/,
    );
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/gpus/stream`, {
      headers: { authorization: 'Bearer not-the-token' },
    });
    ws.on('error', () => undefined); // the refusal, read below
    const [, res] = await once(ws, 'unexpected-response');
    const body = await new Promise<string>((resolve) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(text));
    });
    expect(res.statusCode).toBe(401);
    expect(body).toContain('The bearer token was not accepted');
  });

  it('unknown API paths need credentials (401), then 404; the console does not serve them', async () => {
    for (const path of ['/api/no-such-route', '/api/jobs/', '/metrics/x', '/%61pi/nope']) {
      expect((await rawRequest(base, 'GET', path, { accept: 'text/html' })).status).toBe(401);
      expect(
        (
          await rawRequest(base, 'GET', path, {
            accept: 'text/html',
            authorization: `Bearer ${server.token}`,
          })
        ).status,
      ).toBe(404);
    }
  });

  it('the documented open routes and the console answer without credentials', async () => {
    expect((await rawRequest(base, 'GET', '/api/health')).status).toBe(200);
    expect((await rawRequest(base, 'HEAD', '/api/health')).status).toBe(200);
    expect((await rawRequest(base, 'GET', '/api/auth/status')).status).toBe(200);
    expect((await rawRequest(base, 'GET', '/', { accept: 'text/html' })).status).toBe(200);
    expect((await rawRequest(base, 'GET', '/jobs/q_1', { accept: 'text/html' })).status).toBe(200);
  });

  it.each(
    WS_ROUTES.flatMap((route) =>
      PATH_TRICKS.slice(0, 12).map(([trick, spell]) => [route, trick, spell] as const),
    ),
  )('WebSocket %s spelled "%s" is refused without credentials', async (route, _trick, spell) => {
    const path = spell(fillPath(route), base);
    if (/^http|[#\\]/.test(path)) return; // not a WebSocket URL a client can send
    const outcome = await wsOutcome(`${base.replace('http', 'ws')}${path}`);
    expect([400, 401]).toContain(outcome);
  });

  it('an unknown WebSocket path is 401 without credentials and 404 with them', async () => {
    const ws = base.replace('http', 'ws');
    expect(await wsOutcome(`${ws}/api/nope`)).toBe(401);
    expect(await wsOutcome(`${ws}/api/nope`, { authorization: `Bearer ${server.token}` })).toBe(404);
    expect(await wsOutcome(`${ws}/api/jobs/stream`, { authorization: `Bearer ${server.token}` })).toBe(
      'open',
    );
  });

  describe('Host', () => {
    it.each([
      'evil.example',
      'evil.example:8765',
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      'lab.example.evil',
    ])(
      'refuses Host %s with 421 HOST_NOT_ALLOWED naming it, on open routes and the console too',
      async (host) => {
        for (const path of ['/api/health', '/', '/api/jobs']) {
          const answer = await rawRequest(base, 'GET', path, {
            host,
            authorization: `Bearer ${server.token}`,
          });
          expect(answer.status).toBe(421);
          const body = JSON.parse(answer.text);
          expect(body).toMatchObject({ code: 'HOST_NOT_ALLOWED' });
          expect(body.message).toContain(host);
        }
        expect(await wsOutcome(`${base.replace('http', 'ws')}/api/jobs/stream`, { host })).toBe(421);
      },
    );

    it('refuses a request with two Host headers (400), whichever comes first', async () => {
      // Node kept the first and the gate let it through; a proxy in front may route on the other.
      const { port } = new URL(base);
      for (const [first, second] of [
        ['127.0.0.1', 'evil.example'],
        ['evil.example', '127.0.0.1'],
      ]) {
        const socket = connect(Number(port), '127.0.0.1');
        socket.end(
          `GET /api/health HTTP/1.1\r\nHost: ${first}:${port}\r\nHost: ${second}:${port}\r\nConnection: close\r\n\r\n`,
        );
        let answer = '';
        for await (const chunk of socket) answer += String(chunk);
        expect(answer).toMatch(/^HTTP\/1\.1 400 /);
        expect(answer).toContain('more than one Host header');
      }
    });

    it('refuses a request target that is not a path (GET *, POST *, api/jobs) with 400 and the security headers, whatever its Host', async () => {
      // Fastify answered `GET *` from a fallback that ran no hook: a 404 without the Host check or CSP.
      // Node's parser refuses `api/jobs` itself (Malformed HTTP request).
      for (const [method, target, routed] of [
        ['GET', '*', true],
        ['POST', '*', true],
        ['GET', 'api/jobs', false],
      ] as const)
        for (const host of ['127.0.0.1', 'evil.example']) {
          const answer = await rawRequest(base, method, target, {
            host,
            authorization: `Bearer ${server.token}`,
          });
          expect([method, target, answer.status]).toEqual([method, target, 400]);
          expect(JSON.parse(answer.text)).toMatchObject({
            code: 'VALIDATION_FAILED',
            ...(routed ? { details: [{ field: 'path' }] } : {}),
          });
          expect(answer.headers['content-security-policy']).toContain("default-src 'self'");
        }
      // OPTIONS * is a request for the server as a whole (RFC 9112): still checked and gated.
      expect((await rawRequest(base, 'OPTIONS', '*', { host: 'evil.example' })).status).toBe(421);
      expect((await rawRequest(base, 'GET', 'http://127.0.0.1/api/health', {})).status).toBe(200);
    });

    it.each([
      'localhost',
      'localhost:9999',
      '127.0.0.1',
      '127.3.4.5:80',
      '[::1]:8765',
      'LAB.example',
      'lab.example:443',
    ])('answers Host %s (loopback, the bind address, --allowed-host; any port)', async (host) => {
      expect((await rawRequest(base, 'GET', '/api/health', { host })).status).toBe(200);
    });
  });

  describe('Origin', () => {
    it('refuses a foreign Origin on any change, with or without credentials (body-less no-cors POSTs)', async () => {
      for (const headers of [{}, { authorization: `Bearer ${server.token}` }] as Record<string, string>[]) {
        const answer = await rawRequest(base, 'POST', '/api/jobs/gc', { ...headers, origin: FOREIGN });
        expect(answer.status).toBe(403);
        expect(JSON.parse(answer.text)).toMatchObject({ code: 'CSRF_ORIGIN_MISMATCH' });
      }
      // Login too: a foreign page cannot sign the browser in to its own session.
      const login = await request(base, 'POST', '/api/auth/login', {
        origin: 'null',
        body: { token: server.token },
      });
      expect(login.status).toBe(403);
      // Our own origin, and no Origin at all (CLI, SDK), pass.
      expect(
        (
          await rawRequest(base, 'POST', '/api/jobs/gc', {
            authorization: `Bearer ${server.token}`,
            origin: base,
          })
        ).status,
      ).toBe(200);
      expect(
        (await rawRequest(base, 'POST', '/api/jobs/gc', { authorization: `Bearer ${server.token}` })).status,
      ).toBe(200);
    });
  });

  describe('?token=', () => {
    it.each(['/api/jobs', '/api/queue', '/api/journal', '/api/gpus', '/api/jobs?limit=5'])(
      '%s accepts the bearer token as ?token= (not a 400 for an unknown query field)',
      async (path) => {
        const answer = await request(
          base,
          'GET',
          `${path}${path.includes('?') ? '&' : '?'}token=${server.token}`,
        );
        expect(answer.status).toBe(200);
      },
    );

    it('never echoes a token back in an error message', async () => {
      const answer = await request(base, 'GET', `/api/no-such-route?token=${server.token}`);
      expect(answer.status).toBe(404);
      expect(answer.text).not.toContain(server.token);
    });

    it('still refuses unknown query fields other than token', async () => {
      const answer = await request(base, 'GET', `/api/jobs?tokens=1`, { token: server.token });
      expect(answer.status).toBe(400);
      expect(answer.body.message).toContain('tokens');
    });

    it('a one-shot token survives the console page, status and health; it is spent where it is the credential', async () => {
      const issue = async () =>
        (await request(base, 'POST', '/api/auth/url-token', { token: server.token })).body.token as string;
      let token = await issue();
      for (const path of ['/', '/jobs', '/api/health', '/api/auth/status'])
        expect(
          (await rawRequest(base, 'GET', `${path}?token=${token}`, { accept: 'text/html' })).status,
        ).toBe(200);
      // The sign-in link's page did not spend it: the console's login with it works, once.
      expect((await request(base, 'POST', '/api/auth/login', { body: { token } })).status).toBe(200);
      expect((await request(base, 'POST', '/api/auth/login', { body: { token } })).status).toBe(401);

      // As the credential of a gated route (one with a query DTO): accepted once, then spent.
      token = await issue();
      expect((await request(base, 'GET', `/api/jobs?token=${token}`)).status).toBe(200);
      expect((await request(base, 'GET', `/api/jobs?token=${token}`)).status).toBe(401);

      // As the credential of a WebSocket upgrade.
      token = await issue();
      const ws = `${base.replace('http', 'ws')}/api/jobs/stream?token=${token}`;
      expect(await wsOutcome(ws)).toBe('open');
      expect(await wsOutcome(ws)).toBe(401);
    });
  });

  describe('browser hardening headers', () => {
    it.each([
      ['GET', '/', { accept: 'text/html' }],
      ['GET', '/api/health', {}],
      ['GET', '/api/jobs', {}],
      ['GET', '/api/no-such-route', {}],
      ['GET', '/api/docs', {}],
      ['POST', '/api/jobs/gc', { origin: FOREIGN }],
      ['GET', '/api/health', { host: 'evil.example' }],
    ] as const)(
      '%s %s %j carries CSP, X-Frame-Options, nosniff and no-referrer',
      async (method, path, headers) => {
        const answer = await rawRequest(base, method, path, headers);
        expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
        expect(answer.headers['content-security-policy']).toContain("script-src 'self'");
        expect(answer.headers['x-frame-options']).toBe('DENY');
        expect(answer.headers['x-content-type-options']).toBe('nosniff');
        expect(answer.headers['referrer-policy']).toBe('no-referrer');
      },
    );
  });
});

describe('--no-auth still refuses foreign pages and foreign Host names (e2e)', () => {
  let server: InProcessServer;
  let base: string;
  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--no-auth', '--fake-gpus', '1'] });
    base = server.baseUrl;
  });
  afterAll(() => server.close(true));

  it('refuses a change with a foreign Origin; accepts ours and none', async () => {
    const foreign = await request(base, 'POST', '/api/queue', {
      origin: 'http://127.0.0.1:3000',
      body: { command: 'true' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe('CSRF_ORIGIN_MISMATCH');
    expect((await request(base, 'GET', '/api/queue')).body.items).toEqual([]);
    expect((await rawRequest(base, 'POST', '/api/jobs/gc', { origin: base })).status).toBe(200);
    expect((await rawRequest(base, 'POST', '/api/jobs/gc')).status).toBe(200);
    // Reading needs no Origin check: a foreign page cannot read the answer (no CORS headers).
    expect((await request(base, 'GET', '/api/queue', { origin: 'http://127.0.0.1:3000' })).status).toBe(200);
  });

  it('refuses a WebSocket upgrade with a foreign Origin; accepts ours and none', async () => {
    const ws = `${base.replace('http', 'ws')}/api/jobs/stream`;
    expect(await wsOutcome(ws, { origin: 'http://127.0.0.1:3000' })).toBe(403);
    expect(await wsOutcome(ws, { origin: base })).toBe('open');
    expect(await wsOutcome(ws)).toBe('open');
  });

  it('refuses to set or replace the console password: nobody proved who asks, and it would outlive --no-auth', async () => {
    const answer = await request(base, 'POST', '/api/auth/set-password', {
      body: { new_password: 'hijack1234' },
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('--no-auth') });
    expect((await request(base, 'GET', '/api/auth/status')).body).toMatchObject({ password_set: false });
  });

  it('refuses a rebound Host', async () => {
    const answer = await rawRequest(base, 'POST', '/api/queue', { host: 'rebind.evil.example:8765' });
    expect(answer.status).toBe(421);
    expect(
      await wsOutcome(`${base.replace('http', 'ws')}/api/jobs/stream`, { host: 'rebind.evil.example' }),
    ).toBe(421);
  });
});
