import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TrainyardConnectionError } from './errors';
import { getHealth } from './generated';
import { createTrainyardClient, readingJsonWhole } from './trainyard-client';

describe(createTrainyardClient.name, () => {
  let server: Server;
  afterEach(() => server.close());

  it('reports a JSON answer cut off mid-body as a connection error, not an unexplained "terminated"', async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '15' });
      res.write('{"stat');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = createTrainyardClient({ baseUrl, resetRetryMs: 0 }); // not sent again (below)
    await expect(getHealth({ client })).rejects.toBeInstanceOf(TrainyardConnectionError);
  });

  it('leaves a body that is not JSON (a followed log) to the caller: it resolves at the headers', async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('line 1\n'); // and never ends
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/jobs/q_1/log`;
    const response = await readingJsonWhole()(url);
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('line 1\n');
    await reader.cancel();
    server.closeAllConnections();
  });

  describe('a connection reset (a server restarting closes its kept-alive sockets)', () => {
    /** A server that resets the connection of the first `resets` requests, then answers. */
    async function resetting(resets: number): Promise<{ baseUrl: string; seen: () => number }> {
      let seen = 0;
      server = createServer((_req, res) => {
        if (++seen <= resets) return res.socket?.destroy();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen: () => seen };
    }

    it('sends a GET again until it is answered (before: a TrainyardConnectionError, ECONNRESET)', async () => {
      const { baseUrl, seen } = await resetting(2);
      const { data } = await getHealth({ client: createTrainyardClient({ baseUrl }) });
      expect(data).toEqual({ status: 'ok' });
      expect(seen()).toBe(3);
    });

    it('never sends again a request that is not safe to repeat', async () => {
      const { baseUrl, seen } = await resetting(1);
      const client = createTrainyardClient({ baseUrl });
      await expect(client.post({ url: '/api/queue', body: { job_type: 'command' } })).rejects.toBeInstanceOf(
        TrainyardConnectionError,
      );
      expect(seen()).toBe(1);
    });

    it('sends nothing again when told not to (resetRetryMs: 0)', async () => {
      const { baseUrl, seen } = await resetting(1);
      const client = createTrainyardClient({ baseUrl, resetRetryMs: 0 });
      await expect(getHealth({ client })).rejects.toBeInstanceOf(TrainyardConnectionError);
      expect(seen()).toBe(1);
    });
  });
});
