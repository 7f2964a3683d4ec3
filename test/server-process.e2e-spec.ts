import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { Agent, type ClientRequest, get as httpGet, request as httpRequest } from 'node:http';
import { connect, createServer } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { removeCgroup, setUpProcessTracking } from '@trainyard/core';
import { join } from 'node:path';
import { homeHolder } from '../apps/server/src/home-lock';
import { cliEnv, runCli } from './support/cli';
import { request } from './support/http';
import { workerPid } from './support/cluster';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';
import { WebSocket } from 'ws';

const MAIN = join(__dirname, '..', 'dist', 'apps', 'server', 'src', 'main.js');
const CLI = join(__dirname, '..', 'bin', 'trainyard.js');

describe('server process (e2e, built dist)', () => {
  const temp = makeTempHome();
  afterAll(() => temp.remove());

  it('prints the token URL, token file and state dir, and restarts in place on request', async () => {
    const server = await spawnServer(temp.home);
    try {
      const token = readFileSync(join(temp.home, 'auth_token'), 'utf8').trim();
      expect(server.token).toBe(token);
      expect(server.output()).toContain(`token in ${join(temp.home, 'auth_token')} (mode 0600)`);
      expect(server.output()).toContain(`State:        ${temp.home}`);
      expect(server.output()).toMatch(/http:\/\/localhost:\d+\/\?token=/);

      const before = (await request(server.baseUrl, 'GET', '/api/health')).body.started_at;
      const tokenPrinted = () => server.output().split(token).length - 1;
      const printedAtStart = tokenPrinted();
      expect((await request(server.baseUrl, 'POST', '/api/server/restart', { token })).status).toBe(202);
      // The supervisor (same PID) prints a fresh banner; with port 0 the new worker keeps the port.
      const newBase = await server.nextBanner();
      expect(newBase).toBe(server.baseUrl);
      // The token went to the log once, at the start, not again at each restart.
      expect(tokenPrinted()).toBe(printedAtStart);
      expect(server.output()).toContain('Trainyard restarted, running at:');
      const after = (await request(newBase, 'GET', '/api/health')).body.started_at;
      expect(after > before).toBe(true);
      expect(server.process.exitCode).toBeNull();
      expect((await request(newBase, 'GET', '/api/server-config-path', { token })).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('a second server on the same state directory refuses to start, naming the first one, and touches nothing', async () => {
    const home = makeTempHome();
    const server = await spawnServer(home.home, ['--fake-gpus', '1']);
    try {
      const job = await request(server.baseUrl, 'POST', '/api/queue', {
        token: server.token!,
        body: { job_type: 'command', requested_gpus: 1, job_params: { argv: ['sleep', '30'] } },
      });
      expect(job.status).toBe(201);
      const second = spawnSync(process.execPath, [MAIN, '--port', '0'], {
        env: { PATH: process.env.PATH ?? '', HOME: home.home, TRAINYARD_HOME: home.home },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(second.status).toBe(2);
      expect(second.stderr).toBe(
        `trainyard: ${home.home} is in use by another Trainyard server (pid ${server.process.pid}): ` +
          'stop it first, or give this one another TRAINYARD_HOME\n',
      );
      expect(second.stdout).not.toContain('re-attached');
      expect((await request(server.baseUrl, 'GET', '/api/health')).status).toBe(200);
      // The lock names the port and host too: the CLI finds the server there, and waits out a
      // restart only of the server it talks to.
      expect(await homeHolder(home.home)).toEqual({
        pid: server.process.pid,
        port: Number(new URL(server.baseUrl).port),
        host: '127.0.0.1',
        proven: true,
      });
      await request(server.baseUrl, 'POST', `/api/jobs/${job.body.queue_id}/control/force-kill`, {
        token: server.token!,
      });
    } finally {
      expect(await server.stop()).toBe(0);
    }
    // Let go when the holder exits: the next server starts at once.
    const next = await spawnServer(home.home);
    expect(await next.stop()).toBe(0);
    home.remove();
  });

  it('refuses a restart or SIGHUP reload the next server could not survive (the config file edited into an invalid one), and keeps serving', async () => {
    const home = makeTempHome();
    const server = await spawnServer(home.home);
    try {
      const config = join(home.home, 'server_config.yaml');
      const good = readFileSync(config, 'utf8');
      writeFileSync(config, 'args:\n  kill_grace_seconds: -1\n');
      const refused = await request(server.baseUrl, 'POST', '/api/server/restart', { token: server.token! });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toMatch(/^not restarting, the server keeps running: .*kill_grace_seconds/);
      await new Promise((r) => setTimeout(r, 500));
      expect((await request(server.baseUrl, 'GET', '/api/health')).status).toBe(200);

      // A reload by signal (`kill -HUP`, systemd's ExecReload) is the same checked restart.
      process.kill(server.process.pid!, 'SIGHUP');
      await waitFor(
        async () =>
          /SIGHUP: not restarting, the server keeps running: .*kill_grace_seconds/.test(server.output()),
        'the refused reload to be logged',
      );
      expect((await request(server.baseUrl, 'GET', '/api/health')).status).toBe(200);

      writeFileSync(config, good);
      expect(
        (await request(server.baseUrl, 'POST', '/api/server/restart', { token: server.token! })).status,
      ).toBe(202);
      expect(await server.nextBanner()).toBe(server.baseUrl);
      process.kill(server.process.pid!, 'SIGHUP');
      expect(await server.nextBanner()).toBe(server.baseUrl);
      expect(server.process.exitCode).toBeNull();

      // A misspelt key is ignored, not refused: whoever restarts (API, CLI) hears of it.
      writeFileSync(config, 'args:\n  kill_grace_secs: 3\n');
      const warned = await request(server.baseUrl, 'POST', '/api/server/restart', { token: server.token! });
      expect(warned.status).toBe(202);
      expect(warned.body.warnings).toEqual([
        expect.stringMatching(
          /server_config\.yaml: unknown key args\.kill_grace_secs ignored; did you mean kill_grace_seconds\?$/,
        ),
      ]);
      expect(await server.nextBanner()).toBe(server.baseUrl);
      const cli = await runCli(['server', 'restart'], cliEnv(server, home.home));
      expect(cli.code).toBe(0);
      expect(cli.stderr).toMatch(/^trainyard: warning: .*unknown key args\.kill_grace_secs ignored/);
      expect(cli.stdout).toMatch(/^restarted the server at /);
    } finally {
      expect(await server.stop()).toBe(0);
      home.remove();
    }
  });

  it('--regen-token rotates the token when the server starts, not when it restarts or respawns', async () => {
    const home = makeTempHome();
    const tokenFile = join(home.home, 'auth_token');
    const first = await spawnServer(home.home);
    const original = readFileSync(tokenFile, 'utf8');
    expect(await first.stop()).toBe(0);
    const server = await spawnServer(home.home, ['--regen-token']);
    try {
      const rotated = readFileSync(tokenFile, 'utf8');
      expect(rotated).not.toBe(original);
      expect(
        (await request(server.baseUrl, 'POST', '/api/server/restart', { token: rotated.trim() })).status,
      ).toBe(202);
      await server.nextBanner();
      expect(readFileSync(tokenFile, 'utf8')).toBe(rotated);
      expect((await request(server.baseUrl, 'GET', '/api/jobs', { token: rotated.trim() })).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
      home.remove();
    }
  });

  it('a restart refuses no connection: one made while the next worker starts waits for it and is answered', async () => {
    const home = makeTempHome();
    const server = await spawnServer(home.home);
    // A new connection per request (no keep-alive), as curl or a script's first call makes one.
    const health = () =>
      new Promise<{ status?: number; error?: string; ms: number }>((resolve) => {
        const started = Date.now();
        const req = httpGet(`${server.baseUrl}/api/health`, { agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode, ms: Date.now() - started }));
        });
        req.on('error', (err: NodeJS.ErrnoException) =>
          resolve({ error: err.code ?? err.message, ms: Date.now() - started }),
        );
      });
    const answers: Array<{ status?: number; error?: string; ms: number }> = [];
    let probing = true;
    // Three clients at once, so some connect just as the worker stops accepting (one hit its 503
    // about once in ten restarts; three, several times in each run of 25).
    const probe = Promise.all(
      [0, 1, 2].map(async () => {
        while (probing) {
          answers.push(await health());
          await new Promise((r) => setTimeout(r, 5));
        }
      }),
    );
    try {
      await waitFor(() => answers.length >= 3 || undefined, 'the first answers');
      expect(
        (await request(server.baseUrl, 'POST', '/api/server/restart', { token: server.token! })).status,
      ).toBe(202);
      expect(await server.nextBanner()).toBe(server.baseUrl);
      const before = answers.length;
      await waitFor(() => answers.length >= before + 3 || undefined, 'answers from the new worker');
      probing = false;
      await probe;
      // Before: ECONNREFUSED for the seconds the next worker took to start.
      expect(answers.filter((a) => a.error)).toEqual([]);
      // None reaches a worker that is closing (which answered 503): it stops taking them first.
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      // Some request was made while no worker served: it waited for the next one.
      expect(Math.max(...answers.map((a) => a.ms))).toBeGreaterThan(300);
    } finally {
      probing = false;
      await probe;
      expect(await server.stop()).toBe(0);
      home.remove();
    }
  });

  it('with port 0, a worker respawned after a crash whose port was taken meanwhile serves on a new one and says so', async () => {
    const home = makeTempHome();
    const server = await spawnServer(home.home);
    const squatter = createServer();
    try {
      const port = Number(new URL(server.baseUrl).port);
      // A crashed worker hands nothing over (a restart keeps its socket: the test above).
      process.kill(workerPid(server), 'SIGKILL');
      // Taken between the old worker's death and the new worker's listen.
      await waitFor(
        () =>
          new Promise<boolean | undefined>((resolve) => {
            squatter.once('error', () => resolve(undefined));
            squatter.listen(port, '127.0.0.1', () => resolve(true));
          }),
        `port ${port} to be free`,
        20_000,
      );
      const newBase = await server.nextBanner();
      expect(newBase).not.toBe(server.baseUrl);
      expect((await request(newBase, 'GET', '/api/health')).status).toBe(200);
      expect(server.output()).toContain(`port ${port} was taken meanwhile: serving on a new one`);
    } finally {
      squatter.close();
      expect(await server.stop()).toBe(0);
      home.remove();
    }
  });

  it('`trainyard server &` then `kill -9 $!` stops the server: the pid a shell reports is the server itself', async () => {
    const home = makeTempHome();
    const child = spawn(process.execPath, [CLI, 'server', '--port', '0'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home.home,
        TRAINYARD_HOME: home.home,
        TRAINYARD_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      const base = await waitFor(
        async () => /http:\/\/localhost:(\d+)\//.exec(out)?.[1],
        'the banner',
        30_000,
      ).then((port) => `http://127.0.0.1:${port}`);
      expect((await request(base, 'GET', '/api/health')).status).toBe(200);
      child.kill('SIGKILL');
      // Nothing is left answering on the port (a wrapper's child server would keep serving).
      await waitFor(
        async () =>
          request(base, 'GET', '/api/health').then(
            () => false,
            () => true,
          ),
        'the server to stop answering',
        10_000,
      );
    } finally {
      child.kill('SIGKILL');
      home.remove();
    }
  });

  it("the CLI finds the state directory's server on whatever port it took, and `trainyard server stop` stops it", async () => {
    const home = makeTempHome();
    const server = await spawnServer(home.home); // --port 0: not the default 8765
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [CLI, ...args], {
        env: { PATH: process.env.PATH ?? '', HOME: home.home, TRAINYARD_HOME: home.home },
        encoding: 'utf8',
      });
    try {
      // No URL given: before, the CLI tried 127.0.0.1:8765 and could not reach it.
      const listed = cli('service', 'list');
      // Reached: its answer is that there is nothing to list (a note on stderr), not an error.
      expect([listed.status, listed.stdout, listed.stderr]).toEqual([
        0,
        '',
        'trainyard: no services (declare them under `services:` in server_config.yaml)\n',
      ]);
      const stopped = cli('server', 'stop');
      expect(stopped.stdout).toMatch(
        new RegExp(`^stopped the server \\(pid ${server.process.pid}\\) of .*; running jobs keep running`),
      );
      expect(stopped.status).toBe(0);
      expect(await server.stop()).toBe(0); // it had exited by itself, cleanly
      const again = cli('server', 'stop');
      expect([again.status, again.stderr]).toEqual([
        3,
        expect.stringContaining(`no server holds ${home.home}`),
      ]);
      // A command now says no server holds the directory; it named only 127.0.0.1:8765, its guess.
      const after = cli('service', 'list');
      expect([after.status, after.stderr]).toEqual([
        3,
        expect.stringMatching(
          new RegExp(`^trainyard: no Trainyard server is running for ${home.home} .*trainyard server`),
        ),
      ]);
    } finally {
      await server.stop('SIGKILL');
      home.remove();
    }
  });

  it('a request in flight when a restart begins is answered, and the next one on its connection goes to the next worker (no 503)', async () => {
    const home = makeTempHome();
    const server = await spawnServer(home.home);
    const { port } = new URL(server.baseUrl);
    // One kept-alive connection, as a CLI polling `wait` or a browser keeps one.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ask = (method: string, path: string, send: (req: ClientRequest) => void) =>
      new Promise<{ status?: number; connection?: string; body: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: Number(port),
            method,
            path,
            agent,
            headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
          },
          (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () =>
              resolve({ status: res.statusCode, connection: res.headers.connection, body }),
            );
          },
        );
        req.on('error', reject);
        send(req);
      });
    try {
      const submit = JSON.stringify({ job_type: 'command', job_params: { argv: ['true'] } });
      let finish!: () => void;
      // A submit whose body is still coming when the restart begins: the request is in flight.
      const submitted = ask('POST', '/api/queue', (req) => {
        req.setHeader('content-length', Buffer.byteLength(submit));
        req.write(submit.slice(0, 10));
        finish = () => req.end(submit.slice(10));
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const restart = await request(server.baseUrl, 'POST', '/api/server/restart', { token: server.token! });
      expect(restart.status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      finish();
      const answer = await submitted;
      expect(answer.status).toBe(201);
      const next = await ask('GET', `/api/jobs/${JSON.parse(answer.body).queue_id}`, (req) => req.end());
      // Before: the answer kept its connection alive, and the next request on it reached the
      // closing worker: 503. Now it closes, and the next request waits for the next worker.
      expect(next.status).toBe(200);
      expect(answer.connection).toBe('close');
      await server.nextBanner();
    } finally {
      agent.destroy();
      expect(await server.stop()).toBe(0);
      home.remove();
    }
  });

  it('closes open WebSockets with 1001 so a restart or SIGTERM never waits on them', async () => {
    const server = await spawnServer(temp.home, ['--fake-gpus', '1']);
    const token = server.token ?? undefined;
    let jobId: string | undefined;
    const sockets: WebSocket[] = [];
    // A followed job log and the GPU stream: the two live views the console keeps open.
    const watch = async (base: string) => {
      const headers = { authorization: `Bearer ${token}` };
      const wsBase = base.replace('http', 'ws');
      const log = new WebSocket(`${wsBase}/api/jobs/${jobId}/tty?follow=true`, { headers });
      const gpus = new WebSocket(`${wsBase}/api/gpus/stream`, { headers });
      sockets.push(log, gpus);
      await Promise.all([once(log, 'message'), once(gpus, 'message')]);
      // Wrapped: an async function returning a bare promise would wait for it.
      return { closed: Promise.all([once(log, 'close'), once(gpus, 'close')]) };
    };
    try {
      const submitted = await request(server.baseUrl, 'POST', '/api/queue', {
        token,
        body: {
          job_type: 'command',
          requested_gpus: 0,
          job_params: { argv: ['sh', '-c', 'while true; do echo tick; sleep 0.1; done'] },
        },
      });
      expect(submitted.status).toBe(201);
      jobId = submitted.body.queue_id;
      const closedForRestart = await watch(server.baseUrl);
      await request(server.baseUrl, 'POST', '/api/server/restart', { token });
      const newBase = await server.nextBanner();
      expect((await closedForRestart.closed).map(([code]) => code)).toEqual([1001, 1001]);

      const closedForStop = await watch(newBase);
      const started = Date.now();
      expect(await server.stop('SIGTERM')).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await closedForStop.closed).map(([code]) => code)).toEqual([1001, 1001]);
    } finally {
      for (const socket of sockets) socket.terminate();
      if (jobId) spawnSync('pkill', ['-f', 'while true; do echo tick']);
      await server.stop('SIGKILL');
    }
  }, 60_000);

  it('SIGTERM stops the server at once even while a client holds a request half-sent: its connection is closed', async () => {
    const server = await spawnServer(temp.home);
    const { port } = new URL(server.baseUrl);
    // A client that never finishes its request (a stalled browser, a slow proxy): the HTTP server's
    // close waits for it — Node's own timeout for headers is a minute.
    const stalled = connect(Number(port), '127.0.0.1');
    await once(stalled, 'connect');
    const cut = once(stalled, 'close');
    stalled.on('error', () => undefined);
    stalled.write('GET /api/health HTTP/1.1\r\nHost: localhost\r\n');
    await new Promise((resolve) => setTimeout(resolve, 300));
    try {
      const started = Date.now();
      const code = await Promise.race([
        server.stop('SIGTERM'),
        new Promise((resolve) => setTimeout(() => resolve('still running after 20 s'), 20_000)),
      ]);
      expect(code).toBe(0);
      // Before: the close waited for it until the worker's 5 s deadline; the drain gives such a
      // connection half a second to bring its request, then closes it.
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(server.output()).not.toMatch(/still closing after/);
      await cut;
    } finally {
      stalled.destroy();
      await server.stop('SIGKILL');
    }
  }, 60_000);

  it('refuses a non-loopback bind without --insecure, in one line and a pointer to --help', () => {
    const result = spawnSync(process.execPath, [MAIN, '-H', '0.0.0.0', '--port', '0'], {
      env: { PATH: process.env.PATH, TRAINYARD_HOME: temp.home },
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('refusing to bind 0.0.0.0');
    expect(result.stderr).toContain('--insecure');
    // The cause, then where the options are: not fifty lines of them after it.
    expect(result.stderr.trim().split('\n')).toHaveLength(2);
    expect(result.stderr).toContain('`trainyard server --help` lists every option');
  });

  it('a port in use is one line naming it, exit 1 (no framework ERROR line before it), nothing left behind', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const port = (holder.address() as { port: number }).port;
    // Where the server would put its jobs' cgroup (made here to learn the path, then removed).
    const tracking = setUpProcessTracking({ setting: null, stateDir: temp.home });
    if (tracking.mode === 'cgroup') removeCgroup(tracking.parent);
    try {
      const result = spawnSync(process.execPath, [MAIN, '--port', String(port), '--fake-gpus', '1'], {
        env: { PATH: process.env.PATH, TRAINYARD_HOME: temp.home },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(
        `trainyard: 127.0.0.1:${port} is already in use (another Trainyard?). Pick another with --port.\n`,
      );
      expect(result.stdout).not.toContain('ERROR');
      // Its modules had started: they are closed as at any stop (the empty cgroup was left, each try).
      if (tracking.mode === 'cgroup') expect(existsSync(tracking.parent)).toBe(false);
    } finally {
      holder.close();
    }
  });

  it('prints help', () => {
    const result = spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8', timeout: 15_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('--fake-gpus N');
  });
});
