import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { runCli } from './support/cli';
import { makeTempHome } from './support/temp-home';

const JOB_ID = 'q_1796000000000_0000000a';

/**
 * The built CLI against a server that answers plain requests but never the WebSocket upgrade (a
 * worker wedged after the first request, or a proxy that swallows upgrades): `job tail` gives up
 * after `TRAINYARD_TIMEOUT` with exit 3 naming the server, as a request does — it used to wait for
 * ever.
 */
describe('CLI against a server that takes the log socket and never answers (e2e, built CLI)', () => {
  const temp = makeTempHome();
  let server: Server;
  let baseUrl: string;
  const held: Socket[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === `/api/jobs/${JOB_ID}`) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ queue_id: JOB_ID, status: 'running' }));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'NOT_FOUND', message: `no route ${req.url}` }));
    });
    server.on('upgrade', (_req, socket: Socket) => held.push(socket)); // taken, never answered
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    temp.remove();
  });

  it('job tail exits 3 after TRAINYARD_TIMEOUT, naming the server, instead of hanging', async () => {
    const started = Date.now();
    const run = await runCli(['job', 'tail', JOB_ID], {
      PATH: process.env.PATH ?? '',
      TRAINYARD_HOME: temp.home,
      TRAINYARD_SERVER_URL: baseUrl,
      TRAINYARD_SERVER_TOKEN: 'a-token',
      TRAINYARD_TIMEOUT: '1',
    });
    expect(run.stderr).toContain(
      `the Trainyard server at ${baseUrl} took the connection but sent no answer within 1 s`,
    );
    expect(run.code).toBe(3);
    expect(held.length).toBeGreaterThan(0); // it was the socket that got no answer
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);
});
