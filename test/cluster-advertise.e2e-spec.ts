import { type ClusterNode, clusterOnNats, nodeOf } from './support/cluster';
import { request } from './support/http';
import { spawnServer } from './support/spawned-server';
import { waitFor } from './support/wait';

jest.setTimeout(60_000);

/** What a node advertises (api_url), and what its member table says while NATS is away. */
describe('a node as the cluster sees it (e2e: nats-server + spawned servers)', () => {
  const cluster = clusterOnNats(2);
  const { homes, nodes } = cluster;

  const joined = (node: ClusterNode) =>
    waitFor(async () => {
      const s = await node.get('/api/cluster/self');
      return s.connection.state === 'connected' && s.node.api_url ? s : undefined;
    }, 'the node to join');

  it('a loopback-bound server advertises a loopback URL (not its LAN address); --advertise-url wins', async () => {
    // No --cluster-address: the advertised addresses are the host's LAN ones, where nothing listens.
    const args = ['--fake-gpus', '1', '--cluster', 'lab', ...cluster.nats.clientArgs];
    const plain = nodeOf(await spawnServer(homes[0].home, args, cluster.nats.clientEnv));
    nodes.push(plain);
    const port = new URL(plain.server.baseUrl).port;
    expect((await joined(plain)).node.api_url).toBe(`http://127.0.0.1:${port}`);

    const proxied = nodeOf(
      await spawnServer(
        homes[1].home,
        [...args, '--advertise-url', 'https://gpu-box.lab.example/trainyard/'],
        cluster.nats.clientEnv,
      ),
    );
    nodes.push(proxied);
    const self = await joined(proxied);
    expect(self.node.api_url).toBe('https://gpu-box.lab.example/trainyard');
    // Other nodes see (and link to) the advertised URL.
    await waitFor(
      async () =>
        (await plain.get('/api/cluster/members')).members.some(
          (m: any) =>
            m.node_id === self.node.node_id && m.api_url === 'https://gpu-box.lab.example/trainyard',
        ),
      'the advertised URL in the other node’s member table',
    );
  });

  it('node ids are one rule everywhere: upper-case is read as lower-case, anything else says what a node id is', async () => {
    const [node] = nodes;
    const id: string = (await node.get('/api/cluster/self')).node.node_id;
    await waitFor(
      async () => (await node.get('/api/cluster/master')).master_node_id,
      'a master to submit to',
    );
    const ask = (method: string, path: string, body?: unknown) =>
      request(node.server.baseUrl, method, path, { token: node.server.token ?? undefined, body });
    expect((await ask('GET', `/api/cluster/nodes/${id.toUpperCase()}/jobs`)).status).toBe(200);
    expect((await ask('POST', `/api/cluster/latency/refresh?peer=${id.toUpperCase()}`)).status).toBe(400); // this node: not a peer
    const bad = await ask('GET', '/api/cluster/nodes/gpu-box-1/jobs');
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([
      expect.objectContaining({
        field: 'node_id',
        message: expect.stringMatching(/^node_id must be a node id: lower-case hex/),
      }),
    ]);
    const submit = await ask('POST', '/api/cluster/jobs/submit', {
      script: '/bin/true',
      participants: [{ node_id: id.toUpperCase(), gpus: 0, ifname: 'eht0' }],
    });
    // Past the node id (upper-case taken), to the interface check.
    expect(submit.body.details).toEqual([
      expect.objectContaining({
        field: 'participants[0].ifname',
        message: expect.stringContaining('has no interface eht0'),
      }),
    ]);
  });

  it("a submit's ifname the node does not have is refused 422, listing the node's interfaces", async () => {
    const [node] = nodes;
    await waitFor(
      async () => (await node.get('/api/cluster/master')).master_node_id,
      'a master to submit to',
    );
    const { node: self } = await node.get('/api/cluster/self');
    const answer = await request(node.server.baseUrl, 'POST', '/api/cluster/jobs/submit', {
      token: node.server.token ?? undefined,
      body: { script: '/bin/true', participants: [{ node_id: self.node_id, gpus: 0, ifname: 'eht0' }] },
    });
    expect(answer.status).toBe(422);
    expect(answer.body.code).toBe('NO_NETWORK_INTERFACE');
    const names = [...new Set(self.interfaces.map((i: any) => i.name))].join(', ');
    expect(answer.body.details).toEqual([
      {
        field: 'participants[0].ifname',
        message: expect.stringContaining(`has no interface eht0 (it has ${names})`),
      },
    ]);
  });

  it('during a NATS outage a node is still reachable to itself and says it is disconnected', async () => {
    const [node] = nodes;
    const selfId = (await node.get('/api/cluster/self')).node.node_id;
    await cluster.nats.stop();
    // Past the 3 s after which a silent member counts as unreachable.
    const members = await waitFor(
      async () => {
        const s = await node.get('/api/cluster/self');
        const away = s.connection.state !== 'connected' && Date.now() - Date.parse(s.connection.since) > 4000;
        return away ? node.get('/api/cluster/members') : undefined;
      },
      'NATS away for 4 s',
      20_000,
    );
    expect(members.members.find((m: any) => m.node_id === selfId)).toMatchObject({ reachable: true });
    expect(members.problem).toMatch(
      /^this node is not connected to NATS .*: the other members' state is as last seen/,
    );
    expect((await node.get('/api/cluster/self')).node.reachable).toBe(true);
    await cluster.nats.start();
    await waitFor(
      async () => (await node.get('/api/cluster/members')).problem === null,
      'the table live again',
    );
  });
});
