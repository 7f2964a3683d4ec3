import { join } from 'node:path';
import { clusterArgs, nodeOf, workerPid, type ClusterNode } from './support/cluster';
import { natsServer, type NatsServer } from './support/nats-server';
import { freePort } from './support/ports';
import { request } from './support/http';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

jest.setTimeout(120_000);

type Node = ClusterNode;

/** Every page of a cursor-paged list. */
async function allPages(node: Node, path: string, cursorParam: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = '0';
  while (cursor !== null) {
    const page: any = await node.get(`${path}?limit=1000&${cursorParam}=${cursor}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  }
  return items;
}

/** The server's worker process (the one holding the NATS connection) under its supervisor. */
/**
 * Cluster mode on real parts: a real `nats-server -js` and three built Trainyard servers on loopback,
 * each with its own state dir.
 */
describe('cluster (e2e: nats-server + 3 spawned servers)', () => {
  const homes = [0, 1, 2].map(() => makeTempHome('trainyard-cluster-'));
  const store = makeTempHome('trainyard-nats-');
  let nats: NatsServer;
  let nodes: Node[] = [];

  beforeAll(async () => {
    nats = natsServer(await freePort(), join(store.home, 'js'));
    // The servers start before NATS does: they must come up, serve, and join once it appears.
    nodes = (
      await Promise.all(homes.map((h) => spawnServer(h.home, clusterArgs('lab', nats), nats.clientEnv)))
    ).map(nodeOf);
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.server.stop('SIGKILL')));
    await nats?.stop();
    for (const h of [...homes, store]) h.remove();
  });

  it('serves while NATS is away, then joins: every member table lists three reachable nodes', async () => {
    for (const node of nodes) {
      const self = await node.get('/api/cluster/self');
      expect(self.cluster).toBe('lab');
      expect(self.connection.state).toBe('connecting');
      expect(self.connection.last_error).toEqual(expect.any(String));
    }
    await nats.start();
    const ids = await Promise.all(nodes.map(async (n) => (await n.get('/api/cluster/self')).node.node_id));
    for (const node of nodes) {
      await waitFor(
        async () => {
          const table = await node.get('/api/cluster/members');
          return table.members.filter((m: any) => m.reachable).length === 3;
        },
        'three reachable members',
        15_000,
      );
      const table = await node.get('/api/cluster/members');
      expect(table.cluster).toBe('lab');
      expect(table.members.map((m: any) => m.node_id).sort()).toEqual([...ids].sort());
      for (const m of table.members) {
        expect(m.api_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(m.addresses).toEqual(['127.0.0.1']);
        expect(m.gpus.count).toBe(1);
        expect(m.versions.node).toBe(process.versions.node);
        expect(m.interfaces.some((i: any) => i.cidr === '127.0.0.1/8')).toBe(true);
      }
      expect((await node.get('/api/cluster/self')).connection.state).toBe('connected');
    }
    // Exactly one master, and every node names the same one.
    const masters = await waitFor(
      async () => {
        const views = await Promise.all(nodes.map((n) => n.get('/api/cluster/master')));
        const named = new Set(views.map((v) => v.master_node_id));
        const selfMasters = views.filter((v) => v.is_self_master).length;
        return named.size === 1 && !named.has(null) && selfMasters === 1 ? views : undefined;
      },
      'one agreed master',
      10_000,
    );
    expect(masters[0].lease_revision).toEqual(expect.any(Number));
  });

  it('NATS down ~10 s while jobs change on every node: afterwards every replicated view holds every entry once', async () => {
    const submit = (node: Node, argv: string[]) =>
      request(node.server.baseUrl, 'POST', '/api/queue', {
        token: node.server.token ?? undefined,
        body: { job_type: 'command', job_params: { argv }, requested_gpus: 0 },
      });
    for (const node of nodes) expect((await submit(node, ['true'])).status).toBe(201);

    await nats.stop();
    const downAt = Date.now();
    await waitFor(async () => {
      const states = await Promise.all(
        nodes.map(async (n) => (await n.get('/api/cluster/self')).connection.state),
      );
      return states.every((s) => s !== 'connected');
    }, 'every node to notice NATS is gone');
    // Jobs change on every node while the cluster is unreachable: queued, started, finished.
    for (let round = 0; round < 3; round++) {
      for (const node of nodes) expect((await submit(node, ['sh', '-c', 'echo x'])).status).toBe(201);
      await new Promise((r) => setTimeout(r, 1500));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - downAt))));
    await nats.start();

    // The truth: the union of every node's own journal.
    const key = (e: any) => `${e.origin_node_id}:${e.seq}`;
    const expected = async () =>
      new Set(
        (await Promise.all(nodes.map((n) => allPages(n, '/api/journal', 'after_seq')))).flat().map(key),
      );
    await waitFor(
      async () => {
        const want = await expected();
        for (const node of nodes) {
          const view = (await allPages(node, '/api/cluster/journal', 'after')).map(key);
          if (view.length !== want.size || !view.every((k) => want.has(k))) return false;
        }
        return true;
      },
      'every replicated view to equal the union of the journals',
      20_000,
    );
    const want = await expected();
    for (const node of nodes) {
      const view = await allPages(node, '/api/cluster/journal', 'after');
      const keys = view.map(key);
      expect(new Set(keys).size).toBe(keys.length); // no duplicate
      expect(new Set(keys)).toEqual(want); // no gap
      const self = await node.get('/api/cluster/self');
      expect(self.replication.published_seq).toBe(self.replication.journal_seq);
    }
    expect(want.size).toBeGreaterThan(3 * 4);
  });

  it('kill -9 of the master: a new master and the old one unreachable on every node within 5 s', async () => {
    const ids = await Promise.all(nodes.map(async (n) => (await n.get('/api/cluster/self')).node.node_id));
    // Under load a lease can lapse between tests: wait until there is a master, one of these nodes.
    const before = await waitFor(async () => {
      const master = await nodes[0].get('/api/cluster/master');
      return ids.includes(master.master_node_id) ? master : undefined;
    }, 'a master');
    const oldId: string = before.master_node_id;
    const victim = nodes[ids.indexOf(oldId)];
    const survivors = nodes.filter((n) => n !== victim);

    const worker = workerPid(victim.server);
    const killedAt = Date.now();
    process.kill(worker, 'SIGKILL');
    await victim.server.stop('SIGKILL'); // and its supervisor, so nothing restarts it

    let detectedMs = 0;
    let failoverMs = 0;
    await waitFor(
      async () => {
        const [tables, masters] = await Promise.all([
          Promise.all(survivors.map((n) => n.get('/api/cluster/members'))),
          Promise.all(survivors.map((n) => n.get('/api/cluster/master'))),
        ]);
        const now = Date.now() - killedAt;
        const unreachable = tables.every((t) =>
          t.members.some((m: any) => m.node_id === oldId && !m.reachable),
        );
        const named = new Set(masters.map((m) => m.master_node_id));
        const newMaster = named.size === 1 && !named.has(null) && !named.has(oldId);
        if (unreachable && !detectedMs) detectedMs = now;
        if (newMaster && !failoverMs) failoverMs = now;
        return unreachable && newMaster;
      },
      'failover',
      10_000,
    );
    console.log(
      `cluster bench (loopback): failure detection ${detectedMs} ms, master failover ${failoverMs} ms`,
    );
    expect(detectedMs).toBeLessThanOrEqual(5000);
    expect(failoverMs).toBeLessThanOrEqual(5000);
    const masters = await Promise.all(survivors.map((n) => n.get('/api/cluster/master')));
    expect(masters.filter((m) => m.is_self_master)).toHaveLength(1);
    expect(masters[0].lease_revision).toBeGreaterThan(before.lease_revision);
    // Silent, not forgotten: the dead node stays listed.
    const table = await survivors[0].get('/api/cluster/members');
    expect(table.members).toHaveLength(3);
    // ... and Prometheus can alert on it: the dead node down, each survivor connected, one master.
    for (const survivor of survivors) {
      const text = await metricsOf(survivor);
      expect(text).toContain('trainyard_cluster_nats_connected 1');
      for (const id of ids)
        expect(text).toMatch(
          new RegExp(
            `^trainyard_cluster_member_up\\{node_id="${id}",hostname="[^"]*"\\} ${id === oldId ? 0 : 1}$`,
            'm',
          ),
        );
      const isMaster = (await survivor.get('/api/cluster/master')).is_self_master as boolean;
      expect(text).toContain(`trainyard_cluster_is_master ${isMaster ? 1 : 0}`);
    }
  });
});

/** The node's Prometheus scrape. */
async function metricsOf(node: Node): Promise<string> {
  return (await request(node.server.baseUrl, 'GET', '/metrics', { token: node.server.token ?? undefined }))
    .text;
}

describe('cluster endpoints in standalone mode', () => {
  const home = makeTempHome();
  let node: Node;
  beforeAll(async () => (node = nodeOf(await spawnServer(home.home))));
  afterAll(async () => {
    await node.server.stop();
    home.remove();
  });

  it('answer 200 with null / empty payloads; /metrics has no cluster series', async () => {
    expect(await metricsOf(node)).not.toContain('trainyard_cluster_');
    expect(await node.get('/api/cluster/self')).toBeNull();
    expect(await node.get('/api/cluster/members')).toEqual({
      cluster: null,
      master_node_id: null,
      members: [],
      problem: null,
    });
    expect(await node.get('/api/cluster/master')).toEqual({
      master_node_id: null,
      is_self_master: false,
      lease_revision: null,
      acquired_at: null,
    });
    expect(await node.get('/api/cluster/journal')).toEqual({ items: [], total: 0, next_cursor: null });
  });
});
