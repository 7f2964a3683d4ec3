import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { request } from './http';
import { natsServer, type NatsServer } from './nats-server';
import { freePort } from './ports';
import type { SpawnedServer } from './spawned-server';
import { makeTempHome } from './temp-home';
import { waitFor } from './wait';

/** A spawned server with small JSON helpers (200/201 or throw). */
export interface ClusterNode {
  server: SpawnedServer;
  get: (path: string) => Promise<any>;
  post: (path: string, body?: unknown) => Promise<any>;
}

export function nodeOf(server: SpawnedServer): ClusterNode {
  const token = server.token ?? undefined;
  return {
    server,
    get: async (path: string) => {
      const answer = await request(server.baseUrl, 'GET', path, { token });
      if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${answer.text}`);
      return answer.body;
    },
    post: async (path: string, body: unknown = {}) => {
      const answer = await request(server.baseUrl, 'POST', path, { token, body });
      if (answer.status !== 200 && answer.status !== 201)
        throw new Error(`POST ${path}: ${answer.status} ${answer.text}`);
      return answer.body;
    },
  };
}

/** Waits until every node lists `count` reachable members and all agree on one master; answers the node ids in `nodes` order. */
export async function awaitClusterFormed(nodes: ClusterNode[], timeoutMs = 20_000): Promise<string[]> {
  await waitFor(
    async () => {
      const tables = await Promise.all(nodes.map((n) => n.get('/api/cluster/members')));
      const masters = new Set(tables.map((t) => t.master_node_id));
      return (
        tables.every((t) => t.members.filter((m: any) => m.reachable).length === nodes.length) &&
        masters.size === 1 &&
        !masters.has(null)
      );
    },
    `${nodes.length} reachable members and one master`,
    timeoutMs,
  );
  return Promise.all(nodes.map(async (n) => (await n.get('/api/cluster/self')).node.node_id as string));
}

/** A test node's flags for cluster `name` through `nats`: one fake GPU, the cluster on loopback. */
export function clusterArgs(name: string, nats: { clientArgs: string[] }): string[] {
  return ['--fake-gpus', '1', '--cluster', name, ...nats.clientArgs, '--cluster-address', '127.0.0.1'];
}

/** The server's worker process (the supervisor's child): what kill -9 of "the server" must hit. */
export function workerPid(server: SpawnedServer): number {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(server.process.pid)]);
  return Number(String(out).trim().split('\n')[0]);
}

/**
 * For one describe block: a JetStream `nats-server` started before its tests, `count` empty server
 * homes, and `nodes` for the servers the tests start; after the tests every node is killed, NATS
 * stopped and every home removed.
 */
export function clusterOnNats(count: number): {
  homes: Array<ReturnType<typeof makeTempHome>>;
  nodes: ClusterNode[];
  readonly nats: NatsServer;
} {
  const homes = Array.from({ length: count }, () => makeTempHome('trainyard-cluster-'));
  const store = makeTempHome('trainyard-nats-');
  const nodes: ClusterNode[] = [];
  let nats: NatsServer | undefined;
  beforeAll(async () => {
    nats = natsServer(await freePort(), join(store.home, 'js'));
    await nats.start();
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.server.stop('SIGKILL')));
    await nats?.stop();
    for (const h of [...homes, store]) h.remove();
  });
  return {
    homes,
    nodes,
    get nats() {
      if (!nats) throw new Error('NATS is started in beforeAll');
      return nats;
    },
  };
}
