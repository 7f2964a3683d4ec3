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
    const client = createTrainyardClient({ baseUrl });
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
});
