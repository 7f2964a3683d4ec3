import { join } from 'node:path';
import { awaitClusterFormed, clusterArgs, nodeOf, type ClusterNode } from './support/cluster';
import { request } from './support/http';
import { natsServer, type NatsServer } from './support/nats-server';
import { freePort } from './support/ports';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

jest.setTimeout(90_000);

const call = (node: ClusterNode, method: 'GET' | 'POST', path: string) =>
  request(node.server.baseUrl, method, path, { token: node.server.token ?? undefined });

/** Latency and bandwidth probes between two real servers through a real `nats-server -js`. */
describe('cluster network probes (e2e: nats-server + 2 spawned servers)', () => {
  const homes = [0, 1].map(() => makeTempHome('trainyard-probe-'));
  const store = makeTempHome('trainyard-probe-nats-');
  let nats: NatsServer;
  let nodes: ClusterNode[] = [];
  let ids: string[] = [];

  beforeAll(async () => {
    nats = natsServer(await freePort(), join(store.home, 'js'));
    await nats.start();
    const args = clusterArgs('probe', nats);
    nodes = (await Promise.all(homes.map((h) => spawnServer(h.home, args, nats.clientEnv)))).map(nodeOf);
    ids = await awaitClusterFormed(nodes);
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.server.stop('SIGKILL')));
    await nats?.stop();
    for (const h of [...homes, store]) h.remove();
  });

  it('latency: a refresh shows the peer measuring, then min ≤ median ≤ max from 27 samples', async () => {
    expect((await nodes[0].get('/api/cluster/latency')).items).toEqual([]);
    const started = await call(nodes[0], 'POST', `/api/cluster/latency/refresh?peer=${ids[1]}`);
    expect(started.status).toBe(202);
    expect(started.body.items).toEqual([
      expect.objectContaining({ peer_node_id: ids[1], state: 'measuring' }),
    ]);
    let row: any;
    await waitFor(async () => {
      row = (await nodes[0].get('/api/cluster/latency')).items[0];
      return row.state !== 'measuring';
    }, 'the latency probe to finish');
    expect(row).toMatchObject({ peer_node_id: ids[1], state: 'done', error: null, samples: 27 });
    expect(row.min_ms).toBeGreaterThan(0);
    expect(row.min_ms).toBeLessThanOrEqual(row.median_ms);
    expect(row.median_ms).toBeLessThanOrEqual(row.max_ms);
    // Cached: the other node has measured nothing, this one keeps its row.
    expect((await nodes[1].get('/api/cluster/latency')).items).toEqual([]);
    expect((await nodes[0].get('/api/cluster/latency')).items).toEqual([row]);
  });

  it('bandwidth: 4 TCP streams from the peer give a positive MB/s', async () => {
    // No peer given: every reachable peer (here the one other node).
    const started = await call(nodes[1], 'POST', '/api/cluster/bandwidth/refresh');
    expect(started.status).toBe(202);
    expect(started.body.items).toEqual([
      expect.objectContaining({ peer_node_id: ids[0], state: 'measuring' }),
    ]);
    let row: any;
    await waitFor(
      async () => {
        row = (await nodes[1].get('/api/cluster/bandwidth')).items[0];
        return row.state !== 'measuring';
      },
      'the bandwidth probe to finish',
      20_000,
    );
    expect(row).toMatchObject({ peer_node_id: ids[0], state: 'done', error: null, streams: 4 });
    expect(row.bytes).toBeGreaterThan(0);
    expect(row.seconds).toBeGreaterThan(1.5);
    expect(row.mb_per_s).toBeGreaterThan(0);
    // MB/s is bytes over seconds, up to the rounding of both: seconds to 1 ms, MB/s to 0.1.
    const recomputed = row.bytes / 1e6 / row.seconds;
    expect(Math.abs(row.mb_per_s - recomputed)).toBeLessThanOrEqual(
      0.05 + (recomputed * 0.0005) / row.seconds,
    );
  });

  it('refresh: 404 for an unknown peer, 400 for this node or a malformed id', async () => {
    for (const probe of ['latency', 'bandwidth']) {
      const unknown = await call(nodes[0], 'POST', `/api/cluster/${probe}/refresh?peer=0123456789abcdef`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('NODE_NOT_FOUND');
      const self = await call(nodes[0], 'POST', `/api/cluster/${probe}/refresh?peer=${ids[0]}`);
      expect(self.status).toBe(400);
      expect(self.text).toContain('peer');
      const bad = await call(nodes[0], 'POST', `/api/cluster/${probe}/refresh?peer=NOT-AN-ID`);
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('peer');
    }
  });
});

describe('cluster network probes in standalone mode', () => {
  const home = makeTempHome();
  let node: ClusterNode;
  beforeAll(async () => (node = nodeOf(await spawnServer(home.home))));
  afterAll(async () => {
    await node.server.stop();
    home.remove();
  });

  it('answer empty lists, and 404 for any peer', async () => {
    expect(await node.get('/api/cluster/latency')).toEqual({ items: [] });
    expect(await node.get('/api/cluster/bandwidth')).toEqual({ items: [] });
    for (const probe of ['latency', 'bandwidth']) {
      const all = await call(node, 'POST', `/api/cluster/${probe}/refresh`);
      expect(all.status).toBe(202);
      expect(all.body).toEqual({ items: [] });
      expect((await call(node, 'POST', `/api/cluster/${probe}/refresh?peer=0123456789abcdef`)).status).toBe(
        404,
      );
    }
  });
});
