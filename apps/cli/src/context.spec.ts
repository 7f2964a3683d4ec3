import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { lockHome } from '../../server/src/home-lock';
import {
  CliContext,
  fetchThroughRestart,
  RESTART_WAIT_MS,
  serverAway,
  UNKNOWN_SERVER_WAIT_MS,
} from './context';

/** A server that resets the first `resets` connections mid-request (a worker killed), then answers 201. */
async function flakyServer(resets: number): Promise<{ url: string; server: Server; requests: () => number }> {
  let seen = 0;
  const server = createServer((req, res) => {
    seen++;
    if (seen <= resets) req.socket.destroy();
    else res.writeHead(201).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/queue`,
    server,
    requests: () => seen,
  };
}

describe(fetchThroughRestart.name, () => {
  // The token from the environment: the server's state directory (and its lock) are unknown here.
  const connection = { home: '/nonexistent-trainyard-home', tokenSource: 'TRAINYARD_SERVER_TOKEN' };
  const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('sends a submit cut off by a reset again when it carries an Idempotency-Key', async () => {
    const flaky = await flakyServer(1);
    server = flaky.server;
    const response = await fetchThroughRestart(connection, quiet)(flaky.url, {
      method: 'POST',
      headers: { 'idempotency-key': 'k1', 'content-type': 'application/json' },
      body: '{"job_type":"command"}',
    });
    expect(response.status).toBe(201);
    expect(flaky.requests()).toBe(2);
  });

  it('does not send a reset POST again without one: it may have been committed', async () => {
    const flaky = await flakyServer(1);
    server = flaky.server;
    await expect(
      fetchThroughRestart(connection, quiet)(flaky.url, { method: 'POST', body: '{}' }),
    ).rejects.toThrow();
    expect(flaky.requests()).toBe(1);
  });

  it('fails at once when the token came from a state directory no server holds (stopped)', async () => {
    const stopped = { home: '/tmp', tokenSource: '/tmp/auth_token' };
    const closed = await flakyServer(0); // a port just let go: connections to it are refused
    await new Promise((resolve) => closed.server.close(resolve));
    const started = Date.now();
    await expect(fetchThroughRestart(stopped, quiet)(closed.url, { method: 'GET' })).rejects.toMatchObject({
      cause: { code: 'ECONNREFUSED' },
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe(serverAway.name, () => {
  let home: string;
  beforeEach(() => (home = mkdtempSync(join(tmpdir(), 'trainyard-away-'))));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('gives up at once when the token came from a state directory no server holds (stopped)', async () => {
    expect(await serverAway({ home, tokenSource: join(home, 'auth_token') }, Date.now())).toBeNull();
  });

  it('waits a restart out while the lock is held, however the token came', async () => {
    const lock = await lockHome(home);
    try {
      for (const tokenSource of [join(home, 'auth_token'), 'TRAINYARD_SERVER_TOKEN'])
        expect(await serverAway({ home, tokenSource }, Date.now())).toEqual({
          restarting: true,
          waitMs: RESTART_WAIT_MS,
        });
      expect(
        await serverAway({ home, tokenSource: 'TRAINYARD_SERVER_TOKEN' }, Date.now() - RESTART_WAIT_MS),
      ).toBeNull();
    } finally {
      lock?.close();
    }
  });

  it("waits a restart's few seconds when the token came from the environment (the lock is elsewhere)", async () => {
    const connection = { home, tokenSource: 'TRAINYARD_SERVER_TOKEN' };
    expect(await serverAway(connection, Date.now())).toEqual({
      restarting: false,
      waitMs: UNKNOWN_SERVER_WAIT_MS,
    });
    expect(await serverAway(connection, Date.now() - UNKNOWN_SERVER_WAIT_MS)).toBeNull();
  });
});

describe('CliContext.terminalWidth', () => {
  const connection = {
    baseUrl: 'http://127.0.0.1:1',
    tokenSource: 'TRAINYARD_SERVER_TOKEN',
    home: '/nonexistent',
  };
  const widthOn = (stdout: Partial<NodeJS.WriteStream>) =>
    new CliContext(connection, {}, stdout as NodeJS.WriteStream).terminalWidth;

  it("is the terminal's width on a terminal (80 when it does not say), none into a file or a pipe", () => {
    expect(widthOn({ isTTY: true, columns: 132 })).toBe(132);
    expect(widthOn({ isTTY: true, columns: 0 })).toBe(80);
    expect(widthOn({ isTTY: false })).toBeUndefined();
  });
});
