import { Agent, createServer, get, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpDrain } from './http-drain';

interface Answer {
  status?: number;
  headers?: IncomingHttpHeaders;
  body?: string;
  error?: string;
}

function ask(port: number, path: string, agent: Agent): Promise<Answer> {
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });
}

describe(HttpDrain.name, () => {
  let server: Server;
  let port: number;
  let drain: HttpDrain;
  let agent: Agent;

  beforeEach(async () => {
    // `/slow` answers after 300 ms; anything else at once.
    server = createServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('slow'), 300);
      else res.end('fast');
    });
    drain = new HttpDrain(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
  });
  afterEach(() => {
    agent.destroy();
    server.closeAllConnections();
    server.close();
  });

  it('answers the request in flight, with Connection: close, before it resolves; takes no new one', async () => {
    expect((await ask(port, '/warm', agent)).headers?.connection).toBe('keep-alive');
    const inFlight = ask(port, '/slow', agent);
    await new Promise((resolve) => setTimeout(resolve, 50));
    let drained = false;
    const draining = drain.drain(5_000).then(() => (drained = true));
    // Before: Node answered it keep-alive, and served the client's next request on that connection
    // from a worker whose modules were closing.
    expect(await inFlight).toMatchObject({ status: 200, body: 'slow', headers: { connection: 'close' } });
    await draining;
    expect(drained).toBe(true);
    expect(await ask(port, '/after', new Agent())).toEqual({ error: 'ECONNREFUSED' });
  });

  it('closes idle kept-alive connections at once and resolves without waiting when nothing is in flight', async () => {
    expect((await ask(port, '/warm', agent)).status).toBe(200);
    const [socket] = Object.values(agent.freeSockets).flat();
    const closed = new Promise((resolve) => socket!.once('close', resolve));
    const started = Date.now();
    await drain.drain(5_000);
    await closed;
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('gives up waiting after its deadline on an answer that does not end', async () => {
    server.removeAllListeners('request');
    drain = new HttpDrain(server);
    server.on('request', (_req, res) => res.write('streaming…')); // never ends
    void ask(port, '/stream', new Agent());
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await drain.drain(300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
