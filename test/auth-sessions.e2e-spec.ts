import Database from 'better-sqlite3';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { CommandBus } from '@nestjs/cqrs';
import { PurgeExpiredSessionsCommand } from '@trainyard/auth';
import { Answer, request, sessionCookie } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { makeTempHome } from './support/temp-home';

const login = (server: InProcessServer) =>
  request(server.baseUrl, 'POST', '/api/auth/login', { body: { token: server.token } });
const canRead = async (server: InProcessServer, cookie: string) =>
  (await request(server.baseUrl, 'GET', '/api/server-config-path', { cookie })).status === 200;

/** What a browser keeps for one host (cookies are not port-scoped): the last value per cookie name. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(answer: Answer): void {
    for (const raw of answer.headers.getSetCookie()) {
      const [pair] = raw.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  get header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

describe('sessions (e2e)', () => {
  describe('two servers on one host', () => {
    let a: InProcessServer;
    let b: InProcessServer;
    beforeAll(async () => {
      a = await startInProcessServer();
      b = await startInProcessServer();
    });
    afterAll(async () => {
      await a.close(true);
      await b.close(true);
    });

    it('signing in to B does not sign the browser out of A', async () => {
      const jar = new CookieJar();
      jar.take(await login(a));
      jar.take(await login(b));
      expect(await canRead(a, jar.header)).toBe(true);
      expect(await canRead(b, jar.header)).toBe(true);
      expect(sessionCookie(await login(a)).split('=')[0]).not.toBe(
        sessionCookie(await login(b)).split('=')[0],
      );
    });
  });

  describe('revocation', () => {
    let server: InProcessServer;
    let base: string;
    beforeAll(async () => {
      server = await startInProcessServer();
      base = server.baseUrl;
    });
    afterAll(() => server.close(true));

    const journalTypes = async () =>
      (await request(base, 'GET', '/api/journal?limit=1000', { token: server.token })).body.items as {
        type: string;
        payload: Record<string, unknown>;
      }[];

    it('setting the first password with no session to end journals no "0 sessions ended"', async () => {
      const fresh = await startInProcessServer();
      try {
        const set = await request(fresh.baseUrl, 'POST', '/api/auth/set-password', {
          token: fresh.token,
          body: { new_password: 'first-pass-1' },
        });
        expect(set.status).toBe(200);
        const types = (
          (await request(fresh.baseUrl, 'GET', '/api/journal?limit=1000', { token: fresh.token })).body
            .items as { type: string }[]
        ).map((e) => e.type);
        expect(types).toContain('auth.password_set.v1');
        expect(types).not.toContain('auth.sessions_revoked.v1');
      } finally {
        await fresh.close(true);
      }
    });

    it('setting or changing the password signs out every other session; the one that did it stays', async () => {
      const mine = sessionCookie(await login(server));
      const other = sessionCookie(await login(server));
      const set = await request(base, 'POST', '/api/auth/set-password', {
        cookie: mine,
        origin: base,
        body: { new_password: 'first-pass-1' },
      });
      expect(set.status).toBe(200);
      expect(await canRead(server, mine)).toBe(true);
      expect(await canRead(server, other)).toBe(false);

      const third = sessionCookie(
        await request(base, 'POST', '/api/auth/login', { body: { password: 'first-pass-1' } }),
      );
      const change = await request(base, 'POST', '/api/auth/set-password', {
        cookie: mine,
        origin: base,
        body: { new_password: 'second-pass-2', current_password: 'first-pass-1' },
      });
      expect(change.status).toBe(200);
      expect(await canRead(server, mine)).toBe(true);
      expect(await canRead(server, third)).toBe(false);

      // Changed with the bearer token (no session of its own): every session ends.
      expect(
        (
          await request(base, 'POST', '/api/auth/set-password', {
            token: server.token,
            body: { new_password: 'third-pass-3' },
          })
        ).status,
      ).toBe(200);
      expect(await canRead(server, mine)).toBe(false);
      const revoked = (await journalTypes()).filter((e) => e.type === 'auth.sessions_revoked.v1');
      expect(revoked.map((e) => e.payload)).toEqual([
        { reason: 'password_set', revoked: 1 },
        { reason: 'password_set', revoked: 1 },
        { reason: 'password_set', revoked: 1 },
      ]);
    });

    it('POST /api/auth/logout-all signs out every session, the caller included, and clears its cookie', async () => {
      const cookies = [sessionCookie(await login(server)), sessionCookie(await login(server))];
      const answer = await request(base, 'POST', '/api/auth/logout-all', {
        cookie: cookies[0],
        origin: base,
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ ok: true, revoked: 2 });
      expect(answer.headers.getSetCookie()[0]).toMatch(/^trainyard_session_[0-9a-f]{12}=; Max-Age=0/);
      for (const cookie of cookies) expect(await canRead(server, cookie)).toBe(false);
      // A cookie alone from a foreign page may not do it (the CSRF guard covers the route).
      const fresh = sessionCookie(await login(server));
      expect((await request(base, 'POST', '/api/auth/logout-all', { cookie: fresh })).status).toBe(403);
      expect(await canRead(server, fresh)).toBe(true);
    });
  });

  describe('open WebSockets', () => {
    let server: InProcessServer;
    beforeAll(async () => (server = await startInProcessServer()));
    afterAll(() => server.close(true));

    /** A live GPU stream, as the console opens it (cookie and its own Origin) or as a script (bearer). */
    const open = async (headers: Record<string, string>) => {
      const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/api/gpus/stream`, { headers });
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
      );
      await once(ws, 'open');
      return { ws, closed };
    };

    it('closes the streams of sessions that end (sign out, sign out everywhere); a bearer stream stays', async () => {
      const cookies = [sessionCookie(await login(server)), sessionCookie(await login(server))];
      const [first, second] = await Promise.all(
        cookies.map((cookie) => open({ cookie, origin: server.baseUrl })),
      );
      const bearer = await open({ authorization: `Bearer ${server.token}` });

      // Sign out of the first session: its stream ends, the other session's goes on.
      await request(server.baseUrl, 'POST', '/api/auth/logout', {
        cookie: cookies[0],
        origin: server.baseUrl,
      });
      expect(await first.closed).toEqual({ code: 1008, reason: 'signed out' });
      expect(second.ws.readyState).toBe(WebSocket.OPEN);

      const answer = await request(server.baseUrl, 'POST', '/api/auth/logout-all', { token: server.token });
      expect(answer.body).toEqual({ ok: true, revoked: 1 });
      expect(await second.closed).toEqual({ code: 1008, reason: 'signed out' });
      await new Promise((r) => setTimeout(r, 200));
      expect(bearer.ws.readyState).toBe(WebSocket.OPEN);
      bearer.ws.close();
    });
  });

  describe('persisted sessions', () => {
    const temp = makeTempHome();
    afterAll(() => temp.remove());
    const start = (extra: string[] = []) =>
      startInProcessServer({ home: temp.home, argv: ['--persist-sessions', ...extra] });
    const rows = (server: InProcessServer) => {
      const db = new Database(server.config.paths.database, { readonly: true });
      try {
        return db.prepare('SELECT id_hash, expires_at FROM sessions ORDER BY expires_at').all() as {
          id_hash: string;
          expires_at: string;
        }[];
      } finally {
        db.close();
      }
    };
    const insertRow = (path: string, idHash: string, expiresAt: Date) => {
      const db = new Database(path);
      try {
        db.prepare('INSERT INTO sessions (id_hash, created_at, expires_at) VALUES (?, ?, ?)').run(
          idHash,
          new Date(0).toISOString(),
          expiresAt.toISOString(),
        );
      } finally {
        db.close();
      }
    };

    it('survive a restart under the same cookie name, but not a --regen-token', async () => {
      let server = await start();
      const cookie = sessionCookie(await login(server));
      await server.close();

      server = await start();
      expect(await canRead(server, cookie)).toBe(true);
      await server.close();

      server = await start(['--regen-token']);
      expect(await canRead(server, cookie)).toBe(false);
      expect(rows(server)).toEqual([]);
      const journal = (
        await request(server.baseUrl, 'GET', '/api/journal?limit=1000', { token: server.token })
      ).body.items as { type: string; payload: unknown }[];
      expect(journal.filter((e) => e.type === 'auth.sessions_revoked.v1').map((e) => e.payload)).toEqual([
        { reason: 'token_regenerated', revoked: 1 },
      ]);
      await server.close();
    });

    it('expired rows are deleted at boot and by the periodic purge; live ones stay', async () => {
      let server = await start();
      const live = sessionCookie(await login(server));
      const path = server.config.paths.database;
      await server.close();
      insertRow(path, 'a'.repeat(64), new Date(Date.now() - 1000));
      server = await start();
      expect(rows(server).map((r) => r.id_hash)).not.toContain('a'.repeat(64));
      expect(rows(server)).toHaveLength(1);

      // While running: a row that expires later is purged by the scheduler's command.
      insertRow(path, 'b'.repeat(64), new Date(Date.now() + 60_000));
      const deleted = await server.app
        .get(CommandBus)
        .execute(new PurgeExpiredSessionsCommand(Date.now() + 120_000));
      expect(deleted).toBe(1);
      expect(rows(server)).toHaveLength(1);
      expect(await canRead(server, live)).toBe(true);
      await server.close();
    });
  });
});
