import { copyFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { ConnectionOptions, NatsConnection } from '@nats-io/nats-core';
import { type ClusterNode, clusterArgs, clusterOnNats, nodeOf, workerPid } from './support/cluster';
import { cliEnv, runCli } from './support/cli';
import { request } from './support/http';
import { spawnServer } from './support/spawned-server';
import { waitFor } from './support/wait';

jest.setTimeout(120_000);

const TORCHRUN = join(__dirname, 'fixtures', 'bin', 'torchrun');

// See cluster.service.ts: transport-node's types are nats-core's.
const dial = connect as unknown as (options: ConnectionOptions) => Promise<NatsConnection>;

/**
 * Two servers with one node id (a copied state directory or `node_id` file): only one may be that
 * node. The second to come up while the first is live is refused a place — it serves none of the
 * node's calls, so a rank sent to the id runs once — and both say so. When the first stops, the
 * second takes the id only if its journal carries on the node's history (a moved state directory),
 * never when it has another one (it would answer for jobs it never had).
 */
describe('two servers with one node id (e2e: nats-server + spawned servers)', () => {
  const cluster = clusterOnNats(4);
  const { homes, nodes } = cluster;

  // At info level: what they log on joining (or not) is part of what is tested.
  const infoLog = () => ({ ...cluster.nats.clientEnv, TRAINYARD_LOG_LEVEL: 'info' });
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
    } catch (err) {
      if ((err as Error).name === 'NoResponders' || /no responders/.test(String(err))) return 0;
      throw err;
    } finally {
      await nc.close();
    }
  }

  it('the second is refused the id while the first is live, says how to fix it, and shows the first as master', async () => {
    const first = nodeOf(await spawnServer(homes[0].home, clusterArgs('lab', cluster.nats), infoLog()));
    nodes.push(first);
    const self = await waitFor(async () => {
      const s = await first.get('/api/cluster/self');
      return s.connection.state === 'connected' && s.node.api_url ? s : undefined;
    }, 'the first node to join');
    const nodeId: string = self.node.node_id;
    copyFileSync(join(homes[0].home, 'node_id'), join(homes[1].home, 'node_id'));
    const second = nodeOf(await spawnServer(homes[1].home, clusterArgs('lab', cluster.nats), infoLog()));
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

    // A refused server still shows the cluster's master: its twin (a trial: none shown).
    await waitFor(
      async () => (await second.get('/api/cluster/members')).master_node_id === nodeId,
      'the refused server to show its twin as master',
    );

    // That row is the holder, not this server (a trial: `is_self` true, and `cluster status` labelled
    // the holder "this node").
    expect(members.members[0].is_self).toBe(false);
    expect(await second.get('/api/cluster/self')).toMatchObject({ refused: true, node: { is_self: true } });
    expect((await first.get('/api/cluster/self')).refused).toBe(false);
    const status = await runCli(['cluster', 'status'], cliEnv(second.server, homes[1].home));
    expect(status.code).toBe(0);
    expect(status.stdout).not.toMatch(/this node(?! id)/);
    const label = `\\S+ \\(${nodeId.slice(0, 8)}\\)`;
    expect(status.stdout).toMatch(
      new RegExp(
        `^node +${label} +${nodeId} +\\(refused a place in the cluster under this node id, see problem\\)`,
        'm',
      ),
    );
    expect(status.stdout).toMatch(new RegExp(`^master +${label}, another server with this node id`, 'm'));
    expect(status.stdout).toMatch(
      new RegExp(`^${label} +reachable +master, another server with this node id`, 'm'),
    );

    // A sign-in link to the node is one to the holder, as every other call to the id reaches it
    // (a trial: 400 "you are signed in here already").
    const link = await second.post('/api/cluster/peer_session', { node_id: nodeId });
    expect(link.url).toMatch(new RegExp(`^${self.node.api_url}/\\?token=ut_`));
    const token = new URL(link.url).searchParams.get('token')!;
    expect((await request(second.server.baseUrl, 'GET', `/api/jobs?token=${token}`)).status).toBe(401);
    expect((await request(first.server.baseUrl, 'GET', `/api/jobs?token=${token}`)).status).toBe(200);
    // And the holder is a peer to probe, not "this node" (a trial: 400).
    const probe = await request(
      second.server.baseUrl,
      'POST',
      `/api/cluster/latency/refresh?peer=${nodeId}`,
      {
        token: second.server.token ?? undefined,
      },
    );
    expect([probe.status, probe.body.items]).toEqual([
      202,
      [expect.objectContaining({ peer_node_id: nodeId })],
    ]);

    // It never said it joined; it said it connected (a trial: "joined cluster" before the refusal).
    expect(second.server.output()).toContain('connected to NATS');
    expect(second.server.output()).not.toContain('joined cluster');
    expect(first.server.output()).toContain(`joined cluster lab as ${nodeId}`);
  });

  it("the holder dies with a rank running: its refused twin, whose journal is not the node's history, does not take the id; the holder restarted does, and the rank runs on", async () => {
    const [first, second] = nodes;
    const nodeId: string = (await first.get('/api/cluster/self')).node.node_id;
    const bundle = await first.post('/api/cluster/jobs/submit', {
      name: 'twin',
      script: '/opt/train.py',
      torchrun: TORCHRUN,
      participants: [{ node_id: nodeId, gpus: 1 }],
      allow_version_mismatch: true,
      env: { TORCHRUN_SLEEP: '300' },
    });
    const rankOn = async (node: ClusterNode) =>
      (await node.get(`/api/cluster/jobs/${bundle.id}`)).ranks[0].status;
    await waitFor(async () => (await rankOn(second)) === 'running', "the twin's view: rank running");

    // The holder dies (its worker and supervisor, so nothing restarts it); its rank runs on.
    process.kill(workerPid(first.server), 'SIGKILL');
    await first.server.stop('SIGKILL');
    nodes.shift();
    const problem = await waitFor(
      async () => {
        const p = (await second.get('/api/cluster/self')).identity_problem as string | null;
        return p?.includes('journal is not the history') ? p : undefined;
      },
      "the twin to find its journal is not the node's",
      15_000,
    );
    expect(problem).toMatch(
      new RegExp(`the cluster's journal has entry \\d+ of node ${nodeId} as \\S+ at \\S+, but this server's`),
    );
    expect(problem).toContain(`remove ${join(homes[1].home, 'node_id')}`);
    expect(await health(second)).toMatchObject({ status: 'degraded', problems: [problem] });
    // Before: the twin took the id 3 s later and answered for the node: the rank read `cancelled`
    // while it ran on, and a cancel "succeeded" without stopping it.
    expect(await answerers(nodeId)).toBe(0);
    expect(await rankOn(second)).toBe('unknown');
    // A cancel from it would be journaled where no other node reads it: refused, saying why.
    const cancel = await request(second.server.baseUrl, 'POST', `/api/cluster/jobs/${bundle.id}/cancel`, {
      token: second.server.token ?? undefined,
    });
    expect([cancel.status, cancel.body.message]).toEqual([409, expect.stringContaining(problem)]);

    // The holder comes back: its journal is the node's history, so it takes the id again; its rank ran
    // on all along, and a cancel now stops it.
    const back = nodeOf(await spawnServer(homes[0].home, clusterArgs('lab', cluster.nats), infoLog()));
    nodes.push(back);
    await waitFor(
      async () => {
        const s = await back.get('/api/cluster/self');
        return s.identity_problem === null && s.connection.state === 'connected' && s.node.node_id === nodeId;
      },
      'the holder to take its id back',
      15_000,
    );
    await waitFor(async () => (await answerers(nodeId)) === 1, "it to answer the node's calls");
    expect(second.server.output()).not.toContain(`joined cluster lab as ${nodeId}`);
    await waitFor(async () => (await rankOn(second)) === 'running', 'the rank running, as the twin sees it');
    await back.post(`/api/cluster/jobs/${bundle.id}/cancel`);
    await waitFor(
      async () => (await rankOn(second)) === 'cancelled',
      'the rank cancelled once its node is back',
      20_000,
    );
  });

  it("a state directory moved to another server takes the node's place; the old one, started again after the new one wrote, is refused", async () => {
    for (const n of nodes.splice(0)) await n.server.stop();
    const [oldHome, newHome] = [homes[2].home, homes[3].home];
    const run = async (node: ClusterNode, name: string) => {
      const job = await node.post('/api/queue', {
        job_type: 'command',
        name,
        requested_gpus: 0,
        job_params: { argv: ['true'] },
      });
      await waitFor(
        async () => (await node.get(`/api/jobs/${job.queue_id}`)).status === 'done',
        `${name} done`,
      );
    };
    const joined = async (node: ClusterNode) =>
      waitFor(
        async () => {
          const s = await node.get('/api/cluster/self');
          return (
            s.identity_problem === null &&
            s.connection.state === 'connected' &&
            s.replication.published_seq === s.replication.journal_seq &&
            s.node.node_id
          );
        },
        'joined, its journal published',
        15_000,
      );
    const old = nodeOf(await spawnServer(oldHome, clusterArgs('lab', cluster.nats), cluster.nats.clientEnv));
    nodes.push(old);
    const nodeId = await joined(old);
    await run(old, 'before-the-move');
    await joined(old);
    await old.server.stop();
    nodes.pop();

    cpSync(oldHome, newHome, { recursive: true });
    const moved = nodeOf(
      await spawnServer(newHome, clusterArgs('lab', cluster.nats), cluster.nats.clientEnv),
    );
    nodes.push(moved);
    expect(await joined(moved)).toBe(nodeId);
    await waitFor(async () => (await answerers(nodeId)) === 1, "it to answer the node's calls");
    await run(moved, 'after-the-move');
    await joined(moved);

    // The old directory's server starts again: refused while the moved one holds the id, and once it
    // stops, still refused: the node's history went on without it.
    const again = nodeOf(
      await spawnServer(oldHome, clusterArgs('lab', cluster.nats), cluster.nats.clientEnv),
    );
    nodes.push(again);
    await waitFor(
      async () =>
        (await again.get('/api/cluster/self')).identity_problem?.includes('held by another live server'),
      'refused while the moved one is live',
    );
    await moved.server.stop();
    nodes.shift();
    const problem = await waitFor(
      async () => {
        const p = (await again.get('/api/cluster/self')).identity_problem as string | null;
        return p?.includes('journal is not the history') ? p : undefined;
      },
      'refused for its history',
      15_000,
    );
    expect(problem).toContain(`remove ${join(oldHome, 'node_id')}`);
    expect(await answerers(nodeId)).toBe(0);
  });
});
