import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { lockHome } from '../../server/src/home-lock';
import {
  AnswerTimeoutError,
  TrainyardConnectionError,
  createTrainyardClient,
  getHealth,
} from '@trainyard/sdk';
import {
  ANSWER_TIMEOUT_MS,
  CliContext,
  fetchThroughRestart,
  localServerUrl,
  resolveConnection,
  RESTART_WAIT_MS,
  serverAway,
  UNKNOWN_SERVER_WAIT_MS,
} from './context';
import { EXIT, toCliError } from './errors';

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

/** Where a server listens, as `lockHome` is told: on 127.0.0.1 unless `host` says otherwise. */
const at = (port: number | null, host = '127.0.0.1') => (port === null ? null : { port, host });

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

  it('asks a GET answered 503 again after its Retry-After (the server is up but busy), not a plain POST', async () => {
    let seen = 0;
    server = createServer((req, res) => {
      seen++;
      if (seen === 1 || req.method === 'POST')
        res
          .writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' })
          .end('{"code":"DATABASE_BUSY"}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/health`;
    const started = Date.now();
    const response = await fetchThroughRestart(connection, quiet)(url);
    // Before: the 503 itself, which `trainyard wait` took for a failure (exit 1) across a restart.
    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toEqual({ status: 'ok' });
    expect(seen).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    // A POST without an Idempotency-Key is the caller's to decide about: its 503 comes back as it is.
    const posted = await fetchThroughRestart(connection, quiet)(url, { method: 'POST', body: '{}' });
    expect(posted.status).toBe(503);
    expect(seen).toBe(3);
  });

  it('sends a GET again when the connection is cut while its JSON answer is being sent', async () => {
    let seen = 0;
    server = createServer((_req, res) => {
      seen++;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '15' });
      if (seen === 1) {
        res.write('{"stat');
        setTimeout(() => res.socket?.destroy(), 50);
      } else res.end('{"status":"ok"}');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/health`;
    const response = await fetchThroughRestart(connection, quiet)(url);
    // Before: fetch resolved at the headers, and reading the body failed later: "terminated".
    await expect(response.json()).resolves.toEqual({ status: 'ok' });
    expect(seen).toBe(2);
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

describe('a server that takes the connection but does not answer', () => {
  const connection = { home: '/nonexistent-trainyard-home', tokenSource: 'TRAINYARD_SERVER_TOKEN' };
  const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
  let server: Server;
  let url: string;
  let requests = 0;
  beforeEach(async () => {
    requests = 0;
    // /stuck never answers (a stopped or wedged worker); /slow-body answers at once, its body later.
    server = createServer((req, res) => {
      requests++;
      if (req.url === '/slow-body') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"status":');
        setTimeout(() => res.end('"ok"}'), 2500);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    server.closeAllConnections();
    server.close();
  });

  it('gives up after the timeout instead of waiting for ever, and does not send it again', async () => {
    const started = Date.now();
    const fetchOnce = fetchThroughRestart({ ...connection, answerTimeoutMs: 300 }, quiet);
    await expect(fetchOnce(`${url}/stuck`, { method: 'GET' })).rejects.toBeInstanceOf(AnswerTimeoutError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(requests).toBe(1);
  });

  it('is a one-line "no answer" failure with exit 3 through the SDK, naming the server and the setting', async () => {
    const client = createTrainyardClient({
      baseUrl: `${url}/stuck`,
      fetch: fetchThroughRestart({ ...connection, answerTimeoutMs: 300 }, quiet),
    });
    const error = await getHealth({ client }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TrainyardConnectionError);
    const failure = toCliError(error, { baseUrl: url, tokenSource: 'TRAINYARD_SERVER_TOKEN' });
    expect(failure.exitCode).toBe(EXIT.unreachable);
    expect(failure.message).toBe(
      `the Trainyard server at ${url} took the connection but sent no answer within 0.3 s ` +
        '(stopped, stuck or overloaded?); TRAINYARD_TIMEOUT sets the wait in seconds',
    );
  });

  it('times only the wait for the answer, not its body (a log, a stream)', async () => {
    // The headers come at once (well within 1 s even on a loaded machine), the body 2.5 s later.
    const response = await fetchThroughRestart(
      { ...connection, answerTimeoutMs: 1000 },
      quiet,
    )(`${url}/slow-body`);
    await expect(response.json()).resolves.toEqual({ status: 'ok' });
  });
});

describe(resolveConnection.name, () => {
  const env = (vars: Record<string, string>) => ({ TRAINYARD_HOME: '/nonexistent-trainyard-home', ...vars });

  it('waits 120 s for an answer by default; TRAINYARD_TIMEOUT sets it in seconds, 0 for no limit', () => {
    expect(resolveConnection({}, env({})).answerTimeoutMs).toBe(ANSWER_TIMEOUT_MS);
    expect(ANSWER_TIMEOUT_MS).toBe(120_000);
    expect(resolveConnection({}, env({ TRAINYARD_TIMEOUT: '2.5' })).answerTimeoutMs).toBe(2500);
    expect(resolveConnection({}, env({ TRAINYARD_TIMEOUT: '0' })).answerTimeoutMs).toBe(0);
    for (const bad of ['-1', 'soon', '1e3', '5s'])
      expect(() => resolveConnection({}, env({ TRAINYARD_TIMEOUT: bad }))).toThrow(
        expect.objectContaining({
          exitCode: EXIT.invalid,
          message: `TRAINYARD_TIMEOUT must be a number of seconds (0 = no limit), got "${bad}"`,
        }),
      );
  });

  it('treats an empty TRAINYARD_SERVER_URL as unset, and names the variable when it is not a URL', () => {
    // Before: TRAINYARD_SERVER_URL="" failed as `--server must be a URL`, blaming a flag never given.
    for (const empty of ['', '  '])
      expect(
        resolveConnection({}, env({ TRAINYARD_SERVER_URL: empty }), 'http://127.0.0.1:18123').baseUrl,
      ).toBe('http://127.0.0.1:18123');
    expect(() => resolveConnection({}, env({ TRAINYARD_SERVER_URL: 'gpu-2 8765' }))).toThrow(
      expect.objectContaining({
        exitCode: EXIT.invalid,
        message: `TRAINYARD_SERVER_URL must be a URL like http://127.0.0.1:8765, got "gpu-2 8765"`,
      }),
    );
    expect(() => resolveConnection({}, env({ TRAINYARD_SERVER_URL: 'ftp://gpu-2' }))).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/^TRAINYARD_SERVER_URL must be an http/) }),
    );
    // A --server given (even an empty one) is the one named.
    expect(() =>
      resolveConnection({ server: '' }, env({ TRAINYARD_SERVER_URL: 'http://gpu-2:8765' })),
    ).toThrow(
      expect.objectContaining({ message: '--server must be a URL like http://127.0.0.1:8765, got ""' }),
    );
  });

  it('refuses a token no header can carry (a line break or a space inside), naming where it came from', () => {
    expect(resolveConnection({}, env({ TRAINYARD_SERVER_TOKEN: '  abc-DEF_123\n' })).token).toBe(
      'abc-DEF_123',
    );
    for (const bad of ['a\nb', 'a b', 'a\tb', 'tok\u00e9n'])
      expect(() => resolveConnection({}, env({ TRAINYARD_SERVER_TOKEN: bad }))).toThrow(
        expect.objectContaining({
          exitCode: EXIT.unauthorized,
          message: expect.stringMatching(
            /^the token from TRAINYARD_SERVER_TOKEN is not one the server could have issued/,
          ),
        }),
      );
  });
});

describe(localServerUrl.name, () => {
  let home: string;
  beforeEach(() => (home = mkdtempSync(join(tmpdir(), 'trainyard-local-'))));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it("is the URL of the port the state directory's server listens on; null when no server holds it", async () => {
    // Before: with no URL given the CLI always tried 8765, whatever port that server was started on.
    expect(await localServerUrl(home)).toBeNull();
    let port: number | null = null; // not listening yet
    const lock = await lockHome(home, () => at(port));
    try {
      port = 18123;
      expect(await localServerUrl(home)).toBe('http://127.0.0.1:18123');
      const env = { TRAINYARD_HOME: home };
      expect(resolveConnection({}, env, await localServerUrl(home)).baseUrl).toBe('http://127.0.0.1:18123');
      // A URL given wins.
      expect(
        resolveConnection({}, { ...env, TRAINYARD_SERVER_URL: 'http://gpu-2:8765' }, 'http://127.0.0.1:18123')
          .baseUrl,
      ).toBe('http://gpu-2:8765');
    } finally {
      lock?.close();
    }
  });

  it('is the address a server bound to one address alone listens on, not 127.0.0.1', async () => {
    // Before: `trainyard server --host 10.0.0.5 --insecure`, then a command without a URL waited a
    // minute ("the server is restarting") and failed naming http://127.0.0.1:….
    let listening = at(18125, '192.0.2.7');
    const lock = await lockHome(home, () => listening);
    try {
      expect(await localServerUrl(home)).toBe('http://192.0.2.7:18125');
      const tokenSource = join(home, 'auth_token');
      // The restart of that server is waited out there; 127.0.0.1 on its port is another socket.
      expect(await serverAway({ home, baseUrl: 'http://192.0.2.7:18125', tokenSource }, Date.now())).toEqual({
        restarting: true,
        waitMs: RESTART_WAIT_MS,
      });
      expect(await serverAway({ home, baseUrl: 'http://127.0.0.1:18125', tokenSource }, Date.now())).toEqual({
        restarting: false,
        waitMs: UNKNOWN_SERVER_WAIT_MS,
      });
      listening = at(18125, '[::1]');
      expect(await localServerUrl(home)).toBe('http://[::1]:18125');
      expect(
        (await serverAway({ home, baseUrl: 'http://[::1]:18125', tokenSource }, Date.now()))?.restarting,
      ).toBe(true);
    } finally {
      lock?.close();
    }
  });

  it('waits for a server that holds the directory but does not listen yet, saying so once', async () => {
    // Before: right after `trainyard server` started, a command went to 8765 and failed naming it.
    let port: number | null = null;
    const lock = await lockHome(home, () => at(port));
    const said: string[] = [];
    const stderr = { write: (text: string) => said.push(text) } as unknown as NodeJS.WritableStream;
    try {
      const url = localServerUrl(home, { stderr });
      setTimeout(() => (port = 18124), 400);
      expect(await url).toBe('http://127.0.0.1:18124');
      expect(said).toEqual(['trainyard: the server is starting; waiting for it…\n']);
      port = null;
      await expect(localServerUrl(home, { waitMs: 300, stderr })).rejects.toMatchObject({
        exitCode: EXIT.unreachable,
        message: expect.stringMatching(
          /^the server holding .* \(pid \d+\) has not started listening after 0\.3 s/,
        ),
      });
    } finally {
      lock?.close();
    }
  });
});

describe(serverAway.name, () => {
  const baseUrl = 'http://127.0.0.1:8765';
  let home: string;
  beforeEach(() => (home = mkdtempSync(join(tmpdir(), 'trainyard-away-'))));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('gives up at once when the token came from a state directory no server holds (stopped)', async () => {
    expect(await serverAway({ home, baseUrl, tokenSource: join(home, 'auth_token') }, Date.now())).toBeNull();
  });

  it('waits a restart out while the lock is held by the server on that port, however the token came', async () => {
    // Its port not known yet (the first worker not listening) counts as that port.
    for (const port of [8765, null]) {
      const lock = await lockHome(home, () => at(port));
      try {
        for (const tokenSource of [join(home, 'auth_token'), 'TRAINYARD_SERVER_TOKEN'])
          expect(await serverAway({ home, baseUrl, tokenSource }, Date.now())).toEqual({
            restarting: true,
            waitMs: RESTART_WAIT_MS,
          });
        expect(
          await serverAway(
            { home, baseUrl, tokenSource: 'TRAINYARD_SERVER_TOKEN' },
            Date.now() - RESTART_WAIT_MS,
          ),
        ).toBeNull();
      } finally {
        lock?.close();
      }
    }
  });

  it("does not take another server for its state directory's (another port): a restart's few seconds, not a minute", async () => {
    const lock = await lockHome(home, () => at(8765));
    try {
      // Another host on the local server's port is another server too (it is not restarting).
      for (const url of [
        'http://127.0.0.1:18101',
        'https://gpu-host-2.lab',
        'http://gpu2:8765',
        'http://[::1]:8765',
        'http://localhost:8765',
      ]) {
        const connection = { home, baseUrl: url, tokenSource: join(home, 'auth_token') };
        expect(await serverAway(connection, Date.now())).toEqual({
          restarting: false,
          waitMs: UNKNOWN_SERVER_WAIT_MS,
        });
        expect(await serverAway(connection, Date.now() - UNKNOWN_SERVER_WAIT_MS)).toBeNull();
      }
    } finally {
      lock?.close();
    }
  });

  it("waits a restart's few seconds when the token came from the environment (the lock is elsewhere)", async () => {
    const connection = { home, baseUrl, tokenSource: 'TRAINYARD_SERVER_TOKEN' };
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
