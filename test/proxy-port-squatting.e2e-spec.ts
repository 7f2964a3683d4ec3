import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { datasetServerTokenPath, inferenceTokenPath } from '@trainyard/queue';
import { jobsApi } from './support/api';
import { request } from './support/http';
import { InProcessServer, startInProcessServer } from './support/in-process-server';
import { freePort } from './support/ports';
import { waitFor } from './support/wait';

const FIXTURE_BIN = join(__dirname, 'fixtures', 'bin');
/** The job's server waits for its port while another process holds it (as a loading server would). */
const jobEnv = { PATH: `${FIXTURE_BIN}:${process.env.PATH}`, FAKE_BIND_RETRY: '1' };
const q = (base: string) => `base=${encodeURIComponent(base)}`;

/**
 * Another local user's program that bound a job's port before the job's server did (a job's port is
 * on its command line, which `ps` shows to everyone): its own process, not the job's, answering
 * every request with a page whose script would run as the console. It records what it was sent.
 */
interface Squatter {
  pid: number;
  /** One line per request it received: method, path, Authorization. */
  heard(): string[];
  stop(): Promise<void>;
}

const SQUATTER = `
const http = require('node:http');
const [port, host] = process.argv.slice(1);
http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    process.stdout.write(JSON.stringify({ method: req.method, url: req.url, auth: req.headers.authorization ?? null, body }) + '\\n');
    if (req.url.endsWith('.js')) return res.writeHead(200, { 'content-type': 'text/javascript' }).end('alert(document.cookie)');
    res.writeHead(200, { 'content-type': 'text/html' }).end('<script src="evil.js"></script>');
  });
}).on('upgrade', (req, socket) => {
  process.stdout.write(JSON.stringify({ method: 'UPGRADE', url: req.url, auth: req.headers.authorization ?? null }) + '\\n');
  socket.destroy();
}).listen(Number(port), host, () => process.stdout.write('listening\\n'));
`;

async function startSquatter(port: number, host = '127.0.0.1'): Promise<Squatter> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SQUATTER, String(port), host], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  await waitFor(async () => (out.includes('listening\n') ? true : undefined), 'the squatter to listen', 5000);
  return {
    pid: child.pid!,
    heard: () => out.split('\n').filter((l) => l.startsWith('{')),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    },
  };
}

describe("proxies and a job's port held by another process (e2e: real server, real jobs, a real squatter)", () => {
  let server: InProcessServer;
  let api: ReturnType<typeof jobsApi>;
  const squatters: Squatter[] = [];
  const get = (path: string) => request(server.baseUrl, 'GET', path, { token: server.token });
  const post = (path: string, body: unknown) =>
    request(server.baseUrl, 'POST', path, { token: server.token, body });

  beforeAll(async () => {
    server = await startInProcessServer({ argv: ['--fake-gpus', '1', '--upstream-timeout', '2'] });
    api = jobsApi(server.baseUrl, server.token);
  });
  afterEach(async () => {
    for (const s of squatters.splice(0)) await s.stop();
  });
  afterAll(async () => {
    await server.close(true);
  });

  /** Submits a job on a port the squatter already holds; returns once the job runs. */
  async function squattedJob(
    job_type: string,
    params: Record<string, unknown>,
    squatterHost = '127.0.0.1',
  ): Promise<{ id: string; port: number; squatter: Squatter }> {
    const port = await freePort();
    const squatter = await startSquatter(port, squatterHost);
    squatters.push(squatter);
    const { body } = await api.submit({ job_type, job_params: { ...params, port }, env: jobEnv });
    const id = body.queue_id as string;
    await api.waitStatus(id, ['running']);
    return { id, port, squatter };
  }

  const refusal = (answer: { status: number; body: { message?: string } }, squatter: Squatter) => {
    expect(answer.status).toBe(502);
    expect(answer.body.message).toContain("held by a process that is not the job's");
    expect(answer.body.message).toContain(`pid ${squatter.pid}`);
  };

  it("TensorBoard: the squatter's page is never served as ours (HTTP and WebSocket); the job's server once it listens", async () => {
    const { id, squatter } = await squattedJob('tensorboard', { logdir: '/tmp' });
    const prefix = `/api/tb/${id}`;
    refusal(await get(`${prefix}/`), squatter);
    refusal(await get(`${prefix}/evil.js`), squatter);
    const ws = new WebSocket(`${server.baseUrl.replace('http', 'ws')}${prefix}/ws`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(1014);
    expect(squatter.heard()).toEqual([]);

    // The squatter leaves; the job's own server binds its port and is reached.
    await squatter.stop();
    await waitFor(
      async () => ((await get(`${prefix}/echo`)).status === 200 ? true : undefined),
      "the job's tensorboard to answer",
      10_000,
    );
    const echoed = await get(`${prefix}/echo?x=1`);
    expect(echoed.body.url).toBe(`${prefix}/echo?x=1`);
    await api.call('POST', `/api/jobs/${id}/control/kill`);
    await api.waitStatus(id, ['aborted', 'done', 'failed']);
  });

  it("inference: neither the job's token nor the prompts reach the squatter; the job's server once it listens", async () => {
    const { id, port, squatter } = await squattedJob('inference', { model: 'fixture-model' });
    const token = readFileSync(inferenceTokenPath(server.config.paths.secretsDir, id), 'utf8').trim();
    const base = `http://127.0.0.1:${port}/v1`;
    refusal(await get(`/api/inference/models?${q(base)}`), squatter);
    refusal(
      await post(`/api/inference/chat/completions?${q(base)}`, {
        messages: [{ role: 'user', content: 'my secret prompt' }],
      }),
      squatter,
    );
    // An explicit token is not sent there either.
    refusal(
      await request(server.baseUrl, 'GET', `/api/inference/models?${q(base)}`, {
        token: server.token,
        headers: { 'x-upstream-token': 'typed-by-the-user' },
      }),
      squatter,
    );
    expect(squatter.heard()).toEqual([]);

    await squatter.stop();
    await waitFor(
      async () => ((await get(`/api/inference/models?${q(base)}`)).status === 200 ? true : undefined),
      "the job's inference server to answer",
      10_000,
    );
    // The fixture requires the job's token: reaching it with 200 means the token went there.
    const models = await get(`/api/inference/models?${q(base)}`);
    expect(models.body.data[0].id).toBe('fixture-model');
    expect(models.text).not.toContain(token);
    await api.call('POST', `/api/jobs/${id}/control/kill`);
    await api.waitStatus(id, ['aborted', 'done', 'failed']);
  });

  it('inference and dataset server: a base naming this machine any other way is checked too, and gets no token', async () => {
    // Before, only 127.x / ::1 / localhost spellings were checked: 0.0.0.0, [::], [::ffff:127.0.0.1]
    // (which URL rewrites as [::ffff:7f00:1]) reached the squatter with the user's prompts.
    const { id, port, squatter } = await squattedJob('inference', { model: 'fixture-model' }, '::');
    for (const host of [
      'localhost',
      '0.0.0.0',
      '0',
      '[::]',
      '[::ffff:127.0.0.1]',
      '[::ffff:0.0.0.0]',
      '127.1',
    ]) {
      const base = `http://${host}:${port}/v1`;
      refusal(
        await post(`/api/inference/chat/completions?${q(base)}`, {
          messages: [{ role: 'user', content: 'my secret prompt' }],
        }),
        squatter,
      );
    }
    expect(squatter.heard()).toEqual([]);
    await api.call('POST', `/api/jobs/${id}/control/kill`);
    await api.waitStatus(id, ['aborted', 'done', 'failed']);

    const dataset = await squattedJob('dataset_server', {}, '::');
    for (const host of ['0.0.0.0', '[::1]', '[::ffff:7f00:1]'])
      refusal(
        await get(`/api/dataset-server/proxy/health?${q(`http://${host}:${dataset.port}`)}`),
        dataset.squatter,
      );
    expect(dataset.squatter.heard()).toEqual([]);
    await api.call('POST', `/api/jobs/${dataset.id}/control/kill`);
    await api.waitStatus(dataset.id, ['aborted', 'done', 'failed']);
  });

  it("dataset server: the job's token never reaches the squatter; the job's server once it listens", async () => {
    const { id, port, squatter } = await squattedJob('dataset_server', {});
    const base = `http://127.0.0.1:${port}`;
    refusal(await get(`/api/dataset-server/proxy/health?${q(base)}`), squatter);
    refusal(await get(`/api/dataset-server/proxy/iter?${q(base)}&handle=h`), squatter);
    expect(squatter.heard()).toEqual([]);

    await squatter.stop();
    await waitFor(
      async () =>
        (await get(`/api/dataset-server/proxy/health?${q(base)}`)).status === 200 ? true : undefined,
      "the job's dataset server to answer",
      10_000,
    );
    // The fake server requires the job's token (401 without it).
    expect(readFileSync(datasetServerTokenPath(server.config.paths.secretsDir, id), 'utf8').trim()).not.toBe(
      '',
    );
    expect((await get(`/api/dataset-server/proxy/datasets?${q(base)}`)).body).toEqual({ datasets: [] });
    await api.call('POST', `/api/jobs/${id}/control/kill`);
    await api.waitStatus(id, ['aborted', 'done', 'failed']);
  });
});
