import { Agent, createServer, get, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { HttpDrain, REQUEST_GRACE_MS } from './http-drain';

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
    const arrived = new Promise((resolve) => server.once('request', resolve));
    const inFlight = ask(port, '/slow', agent);
    // In flight once the server has it (a fixed 50 ms was not enough on a loaded CI machine: the
    // drain then closed the connection as idle, and the client saw ECONNRESET).
    await arrived;
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

  it('waits for the request of a connection it accepted before the drain, and answers it', async () => {
    const socket = connect(port, '127.0.0.1');
    const order: string[] = [];
    server.on('request', (req: { url?: string }) => req.url === '/late' && order.push('answered'));
    let reply = '';
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
    const ended = new Promise((resolve) => socket.once('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50)); // accepted, nothing sent yet
    const draining = drain.drain(5_000).then(() => order.push('drained'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.write('GET /late HTTP/1.1\r\nHost: x\r\n\r\n');
    await Promise.all([ended, draining]);
    // Before: the drain ended at once and the request reached a server already closing (Fastify: 503).
    expect(order).toEqual(['answered', 'drained']);
    expect(reply).toMatch(/^HTTP\/1.1 200/);
    expect(reply.toLowerCase()).toContain('connection: close');
    expect(reply).toContain('fast');
  });

  it('closes a connection that brings no request within the grace, and then resolves', async () => {
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await drain.drain(5_000);
    await closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(REQUEST_GRACE_MS - 20);
    expect(Date.now() - started).toBeLessThan(REQUEST_GRACE_MS + 1_000);
  });
});
