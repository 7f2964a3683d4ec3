import { hostname } from 'node:os';
import { join } from 'node:path';
import { cliEnv, runCli } from './support/cli';
import { awaitClusterFormed, clusterArgs, clusterOnNats, nodeOf } from './support/cluster';
import { request } from './support/http';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

jest.setTimeout(120_000);

const TORCHRUN = join(__dirname, 'fixtures', 'bin', 'torchrun');

/**
 * Where a multi-node submit may place ranks, and what health says of the cluster: a real
 * `nats-server -js` and two built servers with two fake GPUs each — node 0's GPU 1 in MIG mode.
 * Before, a node whose scheduler was paused, and a GPU in MIG mode, counted as idle eligible: the
 * master picked such a node and the submit failed there, leaving a rolled-back bundle; so did a
 * participant asking more GPUs than its node has. Health said `ok` for the first 30 s of a NATS outage.
 */
describe('cluster placement and health (e2e: nats-server + 2 spawned servers)', () => {
  const cluster = clusterOnNats(2);
  const { homes, nodes } = cluster;
  const work = makeTempHome('trainyard-place-cwd-');
  let ids: string[] = [];
  const label = (i: number) => `${hostname()} (${ids[i].slice(0, 8)})`;
  const submit = (body: Record<string, unknown>) =>
    request(nodes[0].server.baseUrl, 'POST', '/api/cluster/jobs/submit', {
      token: nodes[0].server.token ?? undefined,
      body: { script: '/opt/train.py', torchrun: TORCHRUN, ...body },
    });
  const bundles = async () => (await nodes[0].get('/api/cluster/jobs')).items as any[];
  const health = async (i: number) => (await request(nodes[i].server.baseUrl, 'GET', '/api/health')).body;

  beforeAll(async () => {
    const { nats } = cluster;
    // Two fake GPUs each (clusterArgs gives one).
    const args = clusterArgs('placement', nats).map((a, i, all) => (all[i - 1] === '--fake-gpus' ? '2' : a));
    const mig = ['--fake-mig', '1:1g.10gb'];
    nodes.push(nodeOf(await spawnServer(homes[0].home, [...args, ...mig], nats.clientEnv)));
    nodes.push(nodeOf(await spawnServer(homes[1].home, args, nats.clientEnv)));
    ids = await awaitClusterFormed(nodes);
  });

  afterAll(() => work.remove());

  const gpusOf = async (i: number) =>
    ((await nodes[0].get('/api/cluster/gpus')).nodes as any[]).find((n) => n.node_id === ids[i]);

  it('a GPU in MIG mode is not idle eligible: a rank takes whole GPUs, so its node is not picked for two', async () => {
    // Node 0: GPU 0 idle, GPU 1 in MIG mode.
    expect(await gpusOf(0)).toMatchObject({ idle_eligible: 1, start_blocker: null });
    // Node 1's two GPUs busy with a local job: no node has 2 whole GPUs idle now.
    const local = await nodes[1].post('/api/queue', {
      job_type: 'command',
      requested_gpus: 2,
      job_params: { argv: ['sleep', '60'] },
    });
    try {
      await waitFor(async () => (await gpusOf(1))?.idle_eligible === 0, 'node 1 busy');
      const answer = await submit({ name: 'mig', nodes: 1, gpus_per_node: 2 });
      expect([answer.status, answer.body.code]).toEqual([409, 'CONFLICT']);
      expect(answer.body.message).toContain(`${label(0)} 1 idle of 1 usable GPU`);
      // Before, node 0 was picked (2 "idle") and refused the rank: a rolled-back bundle.
      expect(await bundles()).toEqual([]);
    } finally {
      await request(nodes[1].server.baseUrl, 'DELETE', `/api/queue/${local.queue_id}`, {
        token: nodes[1].server.token ?? undefined,
      });
      await waitFor(async () => (await gpusOf(1))?.idle_eligible === 2, 'node 1 idle again', 20_000);
    }
  });

  it('GPUs a node holds for its waiting job are not idle eligible for a rank placed after it: a submit says so, and journals nothing', async () => {
    const local = (requested_gpus: number, argv: string[]) =>
      nodes[1].post('/api/queue', { job_type: 'command', requested_gpus, job_params: { argv } });
    // Node 1: GPU 0 busy; a 2-GPU job waits for it, and its scheduler holds GPU 1 for that job.
    const running = await local(1, ['sleep', '60']);
    const waiting = await local(2, ['true']);
    const held = { queue_id: waiting.queue_id, priority: 0, gpu_indices: [1] };
    try {
      await waitFor(async () => (await gpusOf(1))?.held !== null, 'GPU 1 held on node 1');
      expect(await gpusOf(1)).toMatchObject({ idle_eligible: 0, start_blocker: null, held });
      const answer = await submit({ name: 'held', nodes: 2, gpus_per_node: 1 });
      expect([answer.status, answer.body.code]).toEqual([409, 'CONFLICT']);
      expect(answer.body.message).toContain(
        `${label(1)} 0 idle of 2 usable GPUs (GPU 1 held for waiting job ${waiting.queue_id}, priority 0)`,
      );
      // Before, node 1 counted GPU 1 as idle, was sent a rank and refused it: a rolled-back bundle.
      expect(await bundles()).toEqual([]);
      // A rank of higher priority comes before the waiting job: the held GPU is its to take.
      const higher = ((await nodes[0].get('/api/cluster/gpus?priority=1')).nodes as any[]).find(
        (n) => n.node_id === ids[1],
      );
      expect(higher).toMatchObject({ idle_eligible: 1, held: null });
    } finally {
      for (const job of [waiting, running])
        await request(nodes[1].server.baseUrl, 'DELETE', `/api/queue/${job.queue_id}`, {
          token: nodes[1].server.token ?? undefined,
        });
      await waitFor(async () => (await gpusOf(1))?.idle_eligible === 2, 'node 1 idle again', 20_000);
    }
  });

  it('a paused node has no idle eligible GPU: a submit does not pick it, or says it is paused (409), and journals nothing', async () => {
    await nodes[1].post('/api/queue/scheduler', { enabled: false });
    try {
      expect(await gpusOf(1)).toMatchObject({
        idle_eligible: 0,
        start_blocker: 'its scheduler is paused (trainyard sched resume)',
      });

      // Only the paused node has 2 whole GPUs: a conflict that passes once it is resumed.
      const picked = await submit({ name: 'picked', nodes: 1, gpus_per_node: 2 });
      expect([picked.status, picked.body.code]).toEqual([409, 'CONFLICT']);
      expect(picked.body.message).toContain(
        `${label(1)} starts nothing now: its scheduler is paused (trainyard sched resume)`,
      );

      // Named, the paused node is refused before any rank is sent.
      const named = await submit({ name: 'named', participants: [{ node_id: ids[1], gpus: 2 }] });
      expect([named.status, named.body.code]).toEqual([409, 'CONFLICT']);
      expect(named.body.details).toEqual([
        {
          field: 'participants[0].node_id',
          message: `${label(1)} cannot start its rank now: its scheduler is paused (trainyard sched resume)`,
        },
      ]);
      expect(await bundles()).toEqual([]);
    } finally {
      await nodes[1].post('/api/queue/scheduler', { enabled: true });
    }
    expect(await gpusOf(1)).toMatchObject({ idle_eligible: 2, start_blocker: null });
  });

  it('a participant asking more GPUs than its node has: 400 naming participants[i].gpus and the count, nothing journaled', async () => {
    const answer = await submit({
      name: 'too-many',
      participants: [
        { node_id: ids[1], gpus: 1 },
        { node_id: ids[0], gpus: 2 },
      ],
    });
    expect([answer.status, answer.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(answer.body.details).toEqual([
      {
        field: 'participants[1].gpus',
        message: `participants[1].gpus is 2 but ${label(0)} has 1 usable GPU, so it can never run there`,
      },
    ]);

    // The CLI names the flag the user typed.
    const run = await runCli(
      ['cluster', 'submit', '--node', `${ids[1].slice(0, 8)}:5`, '--', '/opt/train.py'],
      cliEnv(nodes[0].server, work.home),
      work.home,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `participants[0].gpus is 5 but ${label(1)} has 2 usable GPUs, so it can never run there (--node)`,
    );
    expect(await bundles()).toEqual([]);
  });

  it('health is degraded while NATS is away, naming it, and ok once it is back; local jobs still run', async () => {
    expect(await health(0)).toMatchObject({ status: 'ok', problems: [] });
    await cluster.nats.stop();
    try {
      await waitFor(async () => (await health(0)).status === 'degraded', 'health degraded', 10_000);
      const away = await health(0);
      expect(away.problems).toEqual([expect.stringContaining('this node is not connected to NATS')]);
      const job = await nodes[0].post('/api/queue', { job_type: 'command', job_params: { argv: ['true'] } });
      await waitFor(
        async () => (await nodes[0].get(`/api/jobs/${job.queue_id}`)).status === 'done',
        'a local job done during the outage',
      );
    } finally {
      await cluster.nats.start();
    }
    await waitFor(async () => (await health(0)).status === 'ok', 'health ok again', 20_000);
  });
});
