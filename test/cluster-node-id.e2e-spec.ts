import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { ConnectionOptions, NatsConnection } from '@nats-io/nats-core';
import { type ClusterNode, clusterArgs, clusterOnNats, nodeOf } from './support/cluster';
import { request } from './support/http';
import { spawnServer } from './support/spawned-server';
import { waitFor } from './support/wait';

jest.setTimeout(90_000);

// See cluster.service.ts: transport-node's types are nats-core's.
const dial = connect as unknown as (options: ConnectionOptions) => Promise<NatsConnection>;

/**
 * Two servers with one node id (a copied state directory or `node_id` file): only one may be that
 * node. The second to come up while the first is live is refused a place — it serves none of the
 * node's calls, so a rank sent to the id runs once — and both say so; when the first stops, the
 * second takes the id.
 */
describe('two servers with one node id (e2e: nats-server + 2 spawned servers)', () => {
  const cluster = clusterOnNats(2);
  const { homes, nodes } = cluster;

  const health = async (node: ClusterNode) => (await request(node.server.baseUrl, 'GET', '/api/health')).body;

  /** How many servers answer a call to node `nodeId` (each subscriber replies). */
  async function answerers(nodeId: string): Promise<number> {
    const nc = await dial({
      servers: cluster.nats.url,
      user: cluster.nats.clientArgs[cluster.nats.clientArgs.indexOf('--nats-user') + 1],
      pass: cluster.nats.clientEnv.TRAINYARD_NATS_PASSWORD,
    });
    try {
      const replies = await nc.requestMany(`trainyard.lab.node.${nodeId}.gpus`, '{}', { maxWait: 1500 });
      let n = 0;
      for await (const _ of replies) n++;
      return n;
    } finally {
      await nc.close();
    }
  }

  it('the second is refused the id while the first is live, says how to fix it, and takes the id once the first stops', async () => {
    const first = nodeOf(
      await spawnServer(homes[0].home, clusterArgs('lab', cluster.nats), cluster.nats.clientEnv),
    );
    nodes.push(first);
    const self = await waitFor(async () => {
      const s = await first.get('/api/cluster/self');
      return s.connection.state === 'connected' && s.node.api_url ? s : undefined;
    }, 'the first node to join');
    const nodeId: string = self.node.node_id;
    copyFileSync(join(homes[0].home, 'node_id'), join(homes[1].home, 'node_id'));
    const second = nodeOf(
      await spawnServer(homes[1].home, clusterArgs('lab', cluster.nats), cluster.nats.clientEnv),
    );
    nodes.push(second);

    const refused = await waitFor(async () => {
      const s = await second.get('/api/cluster/self');
      return s.identity_problem ? (s.identity_problem as string) : undefined;
    }, 'the second server to be refused the id');
    expect(refused).toContain(`node id ${nodeId} is held by another live server`);
    expect(refused).toContain(self.node.api_url);
    expect(refused).toContain(self.node.hostname);
    expect(refused).toContain(`remove ${join(homes[1].home, 'node_id')}`);
    expect(await health(second)).toMatchObject({ status: 'degraded', problems: [refused] });
    // The holder says so too, naming the refused server.
    const secondUrl = second.server.baseUrl.replace('localhost', '127.0.0.1');
    await waitFor(
      async () => (await first.get('/api/cluster/self')).identity_problem?.includes(secondUrl),
      "the holder to name the refused server's address",
    );
    expect(await health(first)).toMatchObject({
      status: 'degraded',
      problems: [expect.stringContaining(secondUrl)],
    });

    // Only the holder answers the node's calls; the member table holds the holder's record only.
    expect(await answerers(nodeId)).toBe(1);
    const members = await second.get('/api/cluster/members');
    expect(members.members.map((m: any) => [m.node_id, m.api_url])).toEqual([[nodeId, self.node.api_url]]);
    expect(members.problem).toBe(refused);

    // The first stops: the second takes the id and is that node now.
    await first.server.stop();
    nodes.shift();
    await waitFor(
      async () => {
        const s = await second.get('/api/cluster/self');
        return s.identity_problem === null && s.connection.state === 'connected';
      },
      'the second to take the id',
      15_000,
    );
    expect((await health(second)).status).toBe('ok');
    await waitFor(
      async () =>
        (await second.get('/api/cluster/members')).members.some((m: any) => m.api_url === secondUrl),
      'the second in the member table',
    );
    expect(await answerers(nodeId)).toBe(1);
    expect(readFileSync(join(homes[1].home, 'node_id'), 'utf8').trim()).toBe(nodeId);
  });
});
