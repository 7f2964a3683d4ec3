import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterArgs, nodeOf, type ClusterNode } from './support/cluster';
import { natsServer, type NatsServer } from './support/nats-server';
import { freePort } from './support/ports';
import { request } from './support/http';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

jest.setTimeout(90_000);

/**
 * Two servers with one node id (a copied state directory or `node_id` file): each would publish its
 * journal under the other's message ids, and the stream would drop one's entries as duplicates.
 * Both say so in their health and pause replication; the member table keeps the first's record.
 */
describe('two nodes with one node id (e2e: nats-server + 2 spawned servers)', () => {
  const homes = [makeTempHome('trainyard-cluster-'), makeTempHome('trainyard-cluster-')];
  const store = makeTempHome('trainyard-nats-');
  let nats: NatsServer;
  const nodes: ClusterNode[] = [];

  beforeAll(async () => {
    nats = natsServer(await freePort(), join(store.home, 'js'));
    await nats.start();
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.server.stop('SIGKILL')));
    await nats?.stop();
    for (const h of [...homes, store]) h.remove();
  });

  const health = async (node: ClusterNode) => (await request(node.server.baseUrl, 'GET', '/api/health')).body;

  it('both say so in /api/health until one is gone; the member table does not flip between them', async () => {
    const first = nodeOf(await spawnServer(homes[0].home, clusterArgs('lab', nats), nats.clientEnv));
    nodes.push(first);
    const self = await waitFor(async () => {
      const s = await first.get('/api/cluster/self');
      return s.connection.state === 'connected' ? s : undefined;
    }, 'the first node to join');
    copyFileSync(join(homes[0].home, 'node_id'), join(homes[1].home, 'node_id'));
    const second = nodeOf(await spawnServer(homes[1].home, clusterArgs('lab', nats), nats.clientEnv));
    nodes.push(second);

    for (const node of [first, second])
      await waitFor(
        async () =>
          (await health(node)).problems.some((p: string) => p.includes("another node uses this node's id")),
        'the clash in its health',
        30_000,
      );
    expect(await health(first)).toMatchObject({
      status: 'degraded',
      problems: [expect.stringContaining(second.server.baseUrl.replace('localhost', '127.0.0.1'))],
    });
    const members = (await first.get('/api/cluster/members')).members;
    expect(members.map((m: any) => [m.node_id, m.api_url])).toEqual([[self.node.node_id, self.node.api_url]]);

    // One of them goes: the other is healthy again.
    await second.server.stop();
    nodes.pop();
    await waitFor(async () => (await health(first)).status === 'ok', 'the first node healthy again', 20_000);
  });
});
