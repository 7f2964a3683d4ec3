import Database from 'better-sqlite3';
import { integrityCheck, openDatabase, schemaDrift } from '@trainyard/database';
import { buildDataSource } from '../apps/server/src/persistence';
import { request, sessionCookie } from './support/http';
import { startInProcessServer } from './support/in-process-server';
import { makeTempHome } from './support/temp-home';
import { join } from 'node:path';

describe('persistence (e2e)', () => {
  const temp = makeTempHome();
  afterAll(() => temp.remove());

  it('migrates an empty database, and the entities match the migrations exactly', async () => {
    const dataSource = buildDataSource(join(temp.home, 'fresh.db'));
    const applied = await openDatabase(dataSource);
    expect(applied.length).toBeGreaterThan(0);
    expect(await schemaDrift(dataSource)).toEqual([]);
    expect(await integrityCheck(dataSource)).toBe('ok');
    const [{ journal_mode }] = await dataSource.query('PRAGMA journal_mode');
    const [{ foreign_keys }] = await dataSource.query('PRAGMA foreign_keys');
    expect(journal_mode).toBe('wal');
    expect(foreign_keys).toBe(1);
    await dataSource.destroy();

    // Opening an existing, up-to-date database applies nothing and keeps its data.
    const again = buildDataSource(join(temp.home, 'fresh.db'));
    expect(await openDatabase(again)).toEqual([]);
    await again.destroy();
  });

  it('keeps the journal seq increasing across restarts', async () => {
    const { home, remove } = makeTempHome();
    const first = await startInProcessServer({ home });
    await request(first.baseUrl, 'POST', '/api/auth/login', { body: { token: first.token } });
    const before = (await request(first.baseUrl, 'GET', '/api/journal', { token: first.token })).body.items;
    await first.close();
    const second = await startInProcessServer({ home });
    await request(second.baseUrl, 'POST', '/api/auth/login', { body: { token: second.token } });
    const after = (await request(second.baseUrl, 'GET', '/api/journal', { token: second.token })).body.items;
    expect(after.length).toBe(before.length + 1);
    expect(after.at(-1).seq).toBeGreaterThan(before.at(-1).seq);
    await second.close();
    remove();
  });

  it('with --persist-sessions a session survives a restart (stored as a hash), until it expires', async () => {
    const { home, remove } = makeTempHome();
    const first = await startInProcessServer({ home, argv: ['--persist-sessions'] });
    const cookie = sessionCookie(
      await request(first.baseUrl, 'POST', '/api/auth/login', { body: { token: first.token } }),
    );
    await first.close();

    const db = new Database(join(home, 'trainyard.db'));
    const rows = db.prepare('SELECT id_hash FROM sessions').all() as Array<{ id_hash: string }>;
    expect(rows).toHaveLength(1);
    expect(rows[0].id_hash).not.toBe(cookie.split('=')[1]);
    db.close();

    const second = await startInProcessServer({ home, argv: ['--persist-sessions'] });
    expect((await request(second.baseUrl, 'GET', '/api/server-config-path', { cookie })).status).toBe(200);
    expect((await request(second.baseUrl, 'GET', '/api/auth/status')).body.sessions_persist).toBe(true);
    await second.close();

    // Expire it on disk: the next server refuses it.
    const edit = new Database(join(home, 'trainyard.db'));
    edit.prepare("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z'").run();
    edit.close();
    const third = await startInProcessServer({ home, argv: ['--persist-sessions'] });
    expect((await request(third.baseUrl, 'GET', '/api/server-config-path', { cookie })).status).toBe(401);
    await third.close();

    // Without the flag, sessions die with the process.
    const fourth = await startInProcessServer({ home });
    const c2 = sessionCookie(
      await request(fourth.baseUrl, 'POST', '/api/auth/login', { body: { token: fourth.token } }),
    );
    await fourth.close();
    const fifth = await startInProcessServer({ home });
    expect((await request(fifth.baseUrl, 'GET', '/api/server-config-path', { cookie: c2 })).status).toBe(401);
    expect((await request(fifth.baseUrl, 'GET', '/api/auth/status')).body.sessions_persist).toBe(false);
    await fifth.close();
    remove();
  });

  it('--regen-token rotates the token and the old one stops working', async () => {
    const { home, remove } = makeTempHome();
    const first = await startInProcessServer({ home });
    await first.close();
    const second = await startInProcessServer({ home, argv: ['--regen-token'] });
    expect(second.token).not.toBe(first.token);
    expect(
      (await request(second.baseUrl, 'GET', '/api/server-config-path', { token: first.token })).status,
    ).toBe(401);
    expect(
      (await request(second.baseUrl, 'GET', '/api/server-config-path', { token: second.token })).status,
    ).toBe(200);
    await second.close();
    remove();
  });

  it('--no-auth opens the API', async () => {
    const server = await startInProcessServer({ argv: ['--no-auth'] });
    expect((await request(server.baseUrl, 'GET', '/api/server-config-path')).status).toBe(200);
    expect((await request(server.baseUrl, 'GET', '/api/auth/status')).body).toMatchObject({
      auth_required: false,
      requires_password_setup: false,
    });
    await server.close(true);
  });
});
