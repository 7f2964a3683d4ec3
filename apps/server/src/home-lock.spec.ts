import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { localServerUrl, serverAway } from '../../cli/src/context';
import { stopServer } from '../../cli/src/commands/server.command';
import { EXIT } from '../../cli/src/errors';
import { homeHolder, HomeInUseError, lockHome, lockName } from './home-lock';

/**
 * Another local user's process holding a stopped server's lock name (it is listed in
 * /proc/net/unix): it answers as a server would have before the proof, with a pid and the port of
 * its own HTTP listener, where the CLI would send the directory's token.
 */
async function squat(home: string, pid: number, port: number): Promise<Server> {
  const { dev, ino } = statSync(home);
  const squatter = createServer((socket) => socket.end(`${pid} ${port}\n`));
  await new Promise<void>((resolve) => squatter.listen(lockName(dev, ino), resolve));
  return squatter;
}

const quiet = () =>
  new Writable({
    write: (_chunk, _enc, done) => done(),
  });

describe('the state directory lock (real abstract sockets)', () => {
  let home: string;
  beforeEach(() => (home = mkdtempSync(join(tmpdir(), 'trainyard-lock-'))));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('its server proves itself: pid and port, proven; the key it proves with is 0600', async () => {
    const lock = await lockHome(home, () => ({ port: 18200, host: '127.0.0.1' }));
    try {
      expect(await homeHolder(home)).toEqual({
        pid: process.pid,
        port: 18200,
        host: '127.0.0.1',
        proven: true,
      });
      expect(statSync(join(home, 'lock_key')).mode & 0o777).toBe(0o600);
      await expect(lockHome(home)).rejects.toThrow(
        `${home} is in use by another Trainyard server (pid ${process.pid})`,
      );
    } finally {
      lock?.close();
    }
    expect(await homeHolder(home)).toBeNull();
  });

  it('replaces a lock key left empty by a crash or a full disk at the first start (else no server could prove itself)', async () => {
    writeFileSync(join(home, 'lock_key'), '');
    const lock = await lockHome(home, () => ({ port: 18201, host: '[::1]' }));
    try {
      expect(await homeHolder(home)).toEqual({ pid: process.pid, port: 18201, host: '[::1]', proven: true });
      expect(statSync(join(home, 'lock_key')).mode & 0o777).toBe(0o600);
    } finally {
      lock?.close();
    }
  });

  it("trusts a proven answer's host only as an IP literal, and an older server's answer without one", async () => {
    (await lockHome(home))?.close(); // writes the key
    const key = Buffer.from(readFileSync(join(home, 'lock_key'), 'utf8'), 'hex');
    const { dev, ino } = statSync(home);
    for (const [host, expected] of [
      [undefined, null], // a server from before the host: 127.0.0.1 to the CLI
      ['10.1.2.3', '10.1.2.3'],
      ['[fe80::1]', '[fe80::1]'],
      ['evil.example', null], // not what a server writes: not a place to send the token
      ['[10.1.2.3]', null],
    ] as const) {
      const holder = createServer((socket) =>
        socket.once('data', (nonce) => {
          const said = `trainyard-home-lock ${String(nonce).trim()} 4343 18300${host ? ` ${host}` : ''}`;
          const proof = createHmac('sha256', key).update(said).digest('hex');
          socket.end(`4343 18300 ${proof}${host ? ` ${host}` : ''}\n`);
        }),
      );
      await new Promise<void>((resolve) => holder.listen(lockName(dev, ino), resolve));
      try {
        expect({ host, holder: await homeHolder(home) }).toEqual({
          host,
          holder: { pid: 4343, port: 18300, host: expected, proven: true },
        });
      } finally {
        holder.close();
      }
    }
  });

  describe('a name taken by a process that cannot prove it is the server', () => {
    let squatter: Server;
    let requests = 0;
    const http = createHttpServer((_req, res) => {
      requests++;
      res.end('{}');
    });
    let port: number;
    beforeAll(async () => {
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      port = (http.address() as { port: number }).port;
    });
    afterAll(() => http.close());
    beforeEach(async () => {
      // The directory had a server once (its key is there); the server has stopped.
      (await lockHome(home))?.close();
      requests = 0;
      squatter = await squat(home, 4242, port);
    });
    afterEach(() => squatter.close());

    it('is known as unproven, and a server refuses to start beside it, saying so', async () => {
      expect(await homeHolder(home)).toEqual({ pid: 4242, port: null, host: null, proven: false });
      const refused = lockHome(home);
      await expect(refused).rejects.toBeInstanceOf(HomeInUseError);
      await expect(refused).rejects.toThrow(/held by pid 4242, which cannot prove it is a Trainyard server/);
    });

    it('the CLI never takes its port for the server: it fails naming it (before: the token went to that port)', async () => {
      await expect(localServerUrl(home, { stderr: quiet() })).rejects.toMatchObject({
        exitCode: EXIT.unreachable,
        message: expect.stringContaining('pid 4242, which cannot prove'),
      });
      // Nor waits for a "restart" of it.
      expect(
        await serverAway(
          { home, baseUrl: `http://127.0.0.1:${port}`, tokenSource: join(home, 'auth_token') },
          Date.now(),
        ),
      ).toBeNull();
      expect(requests).toBe(0);
    });

    it('`server stop` signals nothing, even a process of ours that looks like Trainyard', async () => {
      squatter.close();
      const lookalike = spawn('bash', ['-c', 'exec -a trainyard-launcher sleep 30']);
      try {
        await new Promise((resolve) => setTimeout(resolve, 100));
        squatter = await squat(home, lookalike.pid!, port);
        const code = await stopServer({ TRAINYARD_HOME: home }, quiet(), quiet());
        expect(code).toBe(EXIT.failure);
        expect(lookalike.exitCode).toBeNull();
        expect(lookalike.signalCode).toBeNull();
      } finally {
        lookalike.kill('SIGKILL');
      }
    });
  });
});
