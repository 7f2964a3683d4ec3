import { once } from 'node:events';
import { WebSocket } from 'ws';
import { request, sessionCookie } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';

/** Opens a WebSocket and resolves with how the server answered the upgrade. */
async function wsOutcome(url: string, headers: Record<string, string> = {}): Promise<'open' | number> {
  const ws = new WebSocket(url, { headers });
  const result = await Promise.race([
    once(ws, 'open').then(() => 'open' as const),
    once(ws, 'unexpected-response').then(([, res]) => (res as { statusCode: number }).statusCode),
  ]);
  ws.terminate();
  return result;
}

describe('auth (e2e)', () => {
  let server: InProcessServer;
  let base: string;
  beforeAll(async () => {
    server = await startInProcessServer();
    base = server.baseUrl;
    // A WebSocket route to exercise the upgrade gate (the engine registers real ones).
    server.app.get(require('@trainyard/core').WsRouter).register('/api/test/echo', (ws: WebSocket) => {
      ws.send(JSON.stringify({ type: 'hello' }));
    });
  });
  afterAll(() => server.close(true));

  const login = async (body: object) => request(base, 'POST', '/api/auth/login', { body });

  describe('the gate', () => {
    it.each(['/api/health', '/api/auth/status'])('%s answers without credentials', async (path) => {
      expect((await request(base, 'GET', path)).status).toBe(200);
    });

    it.each([
      '/api/openapi.json',
      '/api/docs',
      '/api/server-config-path',
      '/api/journal',
      '/api/no-such-route',
      '/metrics',
    ])('%s is 401 with WWW-Authenticate without credentials', async (path) => {
      const answer = await request(base, 'GET', path);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      expect(answer.body).toMatchObject({ statusCode: 401, code: 'UNAUTHENTICATED' });
    });

    it('rejects a wrong bearer token even when a valid ?token= is also given', async () => {
      expect(
        (
          await request(base, 'GET', `/api/server-config-path?token=${server.token}`, {
            token: 'f'.repeat(64),
          })
        ).status,
      ).toBe(401);
    });

    it('accepts the bearer header and the bearer token as ?token=', async () => {
      expect((await request(base, 'GET', '/api/server-config-path', { token: server.token })).status).toBe(
        200,
      );
      expect((await request(base, 'GET', `/api/server-config-path?token=${server.token}`)).status).toBe(200);
    });

    it('serves the console page without credentials', async () => {
      const answer = await request(base, 'GET', '/', { headers: { accept: 'text/html' } });
      expect(answer.status).toBe(200);
      expect(answer.text).toContain('Trainyard');
      expect(answer.text).not.toContain(server.token);
    });
  });

  describe('login and sessions', () => {
    it('exchanges the token for an HttpOnly, SameSite=Lax, Path=/ cookie with a 30-day lifetime', async () => {
      const answer = await login({ token: server.token });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ authenticated: true, requires_password_setup: true });
      const raw = answer.headers.getSetCookie().find((c) => c.startsWith('trainyard_session_'))!;
      expect(raw).toMatch(/HttpOnly/i);
      expect(raw).toMatch(/SameSite=Lax/i);
      expect(raw).toMatch(/Path=\//);
      expect(raw).toMatch(/Max-Age=2592000/);
      expect(raw).not.toMatch(/Secure/); // plain http on loopback
      // Behind a TLS-terminating proxy the page is https while this server sees http: the browser's
      // Origin says so, and the cookie must not go out over plain http (it never was Secure there).
      const host = new URL(base).host;
      const proxied = await request(base, 'POST', '/api/auth/login', {
        body: { token: server.token },
        headers: { origin: `https://${host}` },
      });
      expect(proxied.headers.getSetCookie().find((c) => c.startsWith('trainyard_session_'))).toMatch(
        /; Secure/,
      );
      const cookie = sessionCookie(answer);
      const status = await request(base, 'GET', '/api/auth/status', { cookie });
      expect(status.body).toMatchObject({ authenticated: true, method: 'cookie' });
      expect((await request(base, 'GET', '/api/server-config-path', { cookie })).status).toBe(200);
    });

    it('rejects wrong credentials with 401 and a bad body with 400 naming the fields', async () => {
      expect((await login({ token: 'nope' })).status).toBe(401);
      const both = await login({ token: 'a', password: 'b' });
      expect(both.status).toBe(400);
      expect(both.body.details.map((d: { field: string }) => d.field)).toEqual(['token', 'password']);
      const extra = await login({ token: 'a', admin: true });
      expect(extra.status).toBe(400);
      expect(extra.body.message).toContain('admin');
    });

    it('logout revokes the session', async () => {
      const cookie = sessionCookie(await login({ token: server.token }));
      const out = await request(base, 'POST', '/api/auth/logout', { cookie, origin: base });
      expect(out.status).toBe(200);
      expect((await request(base, 'GET', '/api/server-config-path', { cookie })).status).toBe(401);
    });

    it('a one-shot URL token can be exchanged for a session once (a sign-in link)', async () => {
      const { token } = (await request(base, 'POST', '/api/auth/url-token', { token: server.token })).body;
      const first = await login({ token });
      expect(first.status).toBe(200);
      expect(
        (await request(base, 'GET', '/api/server-config-path', { cookie: sessionCookie(first) })).status,
      ).toBe(200);
      expect((await login({ token })).status).toBe(401);
    });

    it('a one-shot URL token works exactly once', async () => {
      const issued = await request(base, 'POST', '/api/auth/url-token', { token: server.token });
      expect(issued.status).toBe(200);
      const url = `/api/server-config-path?token=${issued.body.token}`;
      expect((await request(base, 'GET', url)).status).toBe(200);
      expect((await request(base, 'GET', url)).status).toBe(401);
    });
  });

  describe('CSRF guard', () => {
    it('refuses cookie-only changes without our Origin; bearer clients are unaffected', async () => {
      const cookie = sessionCookie(await login({ token: server.token }));
      const noOrigin = await request(base, 'POST', '/api/auth/url-token', { cookie });
      expect(noOrigin.status).toBe(403);
      expect(noOrigin.body.code).toBe('CSRF_ORIGIN_MISMATCH');
      expect(
        (await request(base, 'POST', '/api/auth/url-token', { cookie, origin: 'http://evil.example' }))
          .status,
      ).toBe(403);
      expect((await request(base, 'POST', '/api/auth/url-token', { cookie, origin: base })).status).toBe(200);
      expect((await request(base, 'POST', '/api/auth/url-token', { token: server.token })).status).toBe(200);
      // Reads are not state changes.
      expect((await request(base, 'GET', '/api/server-config-path', { cookie })).status).toBe(200);
    });
  });

  describe('WebSocket upgrades', () => {
    const wsBase = () => base.replace('http', 'ws');
    it('refuses an upgrade without credentials (401) or with a wrong token', async () => {
      expect(await wsOutcome(`${wsBase()}/api/test/echo`)).toBe(401);
      expect(await wsOutcome(`${wsBase()}/api/test/echo?token=${'0'.repeat(64)}`)).toBe(401);
    });
    it('accepts the bearer header, ?token= and a same-origin cookie; refuses a cross-origin cookie', async () => {
      expect(await wsOutcome(`${wsBase()}/api/test/echo`, { authorization: `Bearer ${server.token}` })).toBe(
        'open',
      );
      expect(await wsOutcome(`${wsBase()}/api/test/echo?token=${server.token}`)).toBe('open');
      const cookie = sessionCookie(await login({ token: server.token }));
      expect(await wsOutcome(`${wsBase()}/api/test/echo`, { cookie, origin: base })).toBe('open');
      expect(await wsOutcome(`${wsBase()}/api/test/echo`, { cookie, origin: 'http://evil.example' })).toBe(
        403,
      );
    });
    it('answers 404 for an unknown WebSocket path', async () => {
      expect(await wsOutcome(`${wsBase()}/api/nope`, { authorization: `Bearer ${server.token}` })).toBe(404);
    });
  });
});

describe('passwords (e2e)', () => {
  let server: InProcessServer;
  let base: string;
  beforeAll(async () => {
    server = await startInProcessServer();
    base = server.baseUrl;
  });
  afterAll(() => server.close(true));

  it('enforces length, then password login works and the cookie alone cannot change it', async () => {
    const cookie = sessionCookie(
      await request(base, 'POST', '/api/auth/login', { body: { token: server.token } }),
    );
    const short = await request(base, 'POST', '/api/auth/set-password', {
      cookie,
      origin: base,
      body: { new_password: 'short' },
    });
    expect(short.status).toBe(400);
    expect(short.body.details).toEqual([{ field: 'new_password', message: expect.stringContaining('8') }]);

    // First password: a token-bootstrapped session may set it.
    const set = await request(base, 'POST', '/api/auth/set-password', {
      cookie,
      origin: base,
      body: { new_password: 'first-pass-1' },
    });
    expect(set.status).toBe(200);
    expect((await request(base, 'GET', '/api/auth/status')).body).toMatchObject({ password_set: true });

    const byPassword = await request(base, 'POST', '/api/auth/login', { body: { password: 'first-pass-1' } });
    expect(byPassword.status).toBe(200);
    expect(byPassword.body.requires_password_setup).toBe(false);

    // Changing it: cookie alone → 403; wrong current → 401; right current → ok; bearer → ok.
    const change = (body: object, auth: { cookie?: string; token?: string }) =>
      request(base, 'POST', '/api/auth/set-password', { ...auth, origin: base, body });
    expect((await change({ new_password: 'second-pass-2' }, { cookie })).status).toBe(403);
    expect(
      (await change({ new_password: 'second-pass-2', current_password: 'nope-nope' }, { cookie })).status,
    ).toBe(401);
    expect(
      (await change({ new_password: 'second-pass-2', current_password: 'first-pass-1' }, { cookie })).status,
    ).toBe(200);
    expect((await change({ new_password: 'third-pass-3' }, { token: server.token })).status).toBe(200);
    expect(
      (await request(base, 'POST', '/api/auth/login', { body: { password: 'second-pass-2' } })).status,
    ).toBe(401);
    expect(
      (await request(base, 'POST', '/api/auth/login', { body: { password: 'third-pass-3' } })).status,
    ).toBe(200);
  });

  it('throttles failed logins with 429 and Retry-After, even for the right password', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await request(base, 'POST', '/api/auth/login', { body: { token: 'wrong' } })).status).toBe(401);
    }
    const locked = await request(base, 'POST', '/api/auth/login', { body: { password: 'third-pass-3' } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Bearer clients are not logging in and are unaffected.
    expect((await request(base, 'GET', '/api/server-config-path', { token: server.token })).status).toBe(200);
  });
});
