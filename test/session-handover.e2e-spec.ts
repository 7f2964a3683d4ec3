import Database from 'better-sqlite3';
import { join } from 'node:path';
import { request, sessionCookie } from './support/http';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';

/**
 * Without --persist-sessions a graceful restart (POST /api/server/restart) hands the live sessions
 * to the next worker, which deletes them from disk once loaded; a stop still ends them.
 */
describe('sessions across a graceful restart (e2e, built dist)', () => {
  const temp = makeTempHome();
  afterAll(() => temp.remove());

  const sessionRows = () => {
    const db = new Database(join(temp.home, 'trainyard.db'), { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  const canRead = async (base: string, cookie: string) =>
    (await request(base, 'GET', '/api/server-config-path', { cookie })).status;

  it('a restart keeps the cookie valid and leaves no session rows; a stop ends the session', async () => {
    let server = await spawnServer(temp.home);
    try {
      const login = await request(server.baseUrl, 'POST', '/api/auth/login', {
        body: { token: server.token },
      });
      const cookie = sessionCookie(login);
      expect(await canRead(server.baseUrl, cookie)).toBe(200);

      // The console restarts with its cookie, as a browser does.
      const restart = await request(server.baseUrl, 'POST', '/api/server/restart', {
        cookie,
        origin: server.baseUrl,
      });
      expect(restart.status).toBe(202);
      const afterRestart = await server.nextBanner();
      expect(await canRead(afterRestart, cookie)).toBe(200);
      // Taken back into memory, gone from disk.
      expect(sessionRows()).toBe(0);

      // A second restart hands it over again (the new worker holds it like the first did).
      await request(afterRestart, 'POST', '/api/server/restart', { cookie, origin: afterRestart });
      const afterSecond = await server.nextBanner();
      expect(await canRead(afterSecond, cookie)).toBe(200);

      expect(await server.stop('SIGTERM')).toBe(0);
      server = await spawnServer(temp.home);
      expect(await canRead(server.baseUrl, cookie)).toBe(401);
      expect(sessionRows()).toBe(0);
    } finally {
      await server.stop('SIGKILL');
    }
  }, 60_000);
});
