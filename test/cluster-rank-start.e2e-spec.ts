import { once } from 'node:events';
import { hostname } from 'node:os';
import { WebSocket } from 'ws';
import { join } from 'node:path';
import { awaitClusterFormed, clusterArgs, nodeOf, type ClusterNode } from './support/cluster';
import { request } from './support/http';
import { natsServer, type NatsServer } from './support/nats-server';
import { freePort } from './support/ports';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

jest.setTimeout(120_000);

const TORCHRUN = join(__dirname, 'fixtures', 'bin', 'torchrun');
/** How long the master waits after sending rank 0 of a bundle named `raced` (see ClusterJobs). */
const RACE_PAUSE_MS = 15_000;

/**
 * A rank's node must start it at once or refuse it (all or nothing): a real `nats-server -js` and two
 * built servers with one fake GPU each. The master picks nodes by their idle GPUs, but a local job
 * can take them before the rank's order arrives; before, the rank was queued behind it while the
 * other rank ran and waited at the rendezvous for it.
 */
describe('a rank that cannot start on its node (e2e: nats-server + 2 spawned servers)', () => {
  const homes = [0, 1].map(() => makeTempHome('trainyard-rank-'));
  let spawnArgs: string[] = [];
  const spawnEnv = () => ({ ...nats.clientEnv, TRAINYARD_TEST_FANOUT_PAUSE: `raced=${RACE_PAUSE_MS}` });
  const store = makeTempHome('trainyard-rank-nats-');
  let nats: NatsServer;
  const nodes: ClusterNode[] = [];
  let ids: string[] = [];
  /** The master's index, and the other node's. */
  let m = 0;
  let other = 1;

  const submit = (body: Record<string, unknown>) =>
    request(nodes[m].server.baseUrl, 'POST', '/api/cluster/jobs/submit', {
      token: nodes[m].server.token ?? undefined,
      body: {
        script: '/opt/train.py',
        torchrun: TORCHRUN,
        env: { TORCHRUN_SLEEP: '120' },
        participants: [m, other].map((i) => ({ node_id: ids[i], gpus: 1 })),
        ...body,
      },
    });
  /** A local job on node `i` holding its GPU (started at once: the GPU is idle). */
  const occupy = async (i: number, over: Record<string, unknown> = {}) => {
    const job = await nodes[i].post('/api/queue', {
      job_type: 'command',
      name: 'local',
      requested_gpus: 1,
      job_params: { argv: ['sleep', '120'] },
      ...over,
    });
    await waitFor(
      async () => (await nodes[i].get(`/api/jobs/${job.queue_id}`)).status === 'running',
      'the local job running',
    );
    return job.queue_id as string;
  };
  const jobsNamed = async (i: number, prefix: string) =>
    ((await nodes[i].get('/api/jobs?limit=1000')).items as any[]).filter((j) => j.name?.startsWith(prefix));
  const label = (i: number) => `${hostname()} (${ids[i].slice(0, 8)})`;
  /** Nothing of bundle `name` is left queued or running on any node, and it is listed failed. */
  const nothingOfBundleRuns = async (name: string) => {
    await waitFor(
      async () =>
        (await Promise.all([0, 1].map((i) => jobsNamed(i, name))))
          .flat()
          .every((j) => ['aborted', 'done', 'failed'].includes(j.status)),
      `no rank of ${name} queued or running`,
    );
    for (const n of nodes)
      await waitFor(async () => {
        const b = (await n.get('/api/cluster/jobs')).items.find((x: any) => x.name === name);
        return b?.state === 'failed' && b.status === 'failed';
      }, `${name} listed as failed`);
  };
  const cancelAll = async () => {
    for (const n of nodes)
      for (const j of (await n.get('/api/jobs?limit=1000')).items)
        if (['queued', 'starting', 'running'].includes(j.status))
          await request(n.server.baseUrl, 'DELETE', `/api/queue/${j.queue_id}`, {
            token: n.server.token ?? undefined,
          });
    await waitFor(async () => {
      const views = await Promise.all(nodes.map((n) => n.get('/api/gpus')));
      return views.every((v) => v.gpus.every((g: any) => g.reserved_by === null));
    }, 'every GPU idle');
  };

  beforeAll(async () => {
    nats = natsServer(await freePort(), join(store.home, 'js'));
    await nats.start();
    spawnArgs = clusterArgs('ranks', nats);
    for (const h of homes) nodes.push(nodeOf(await spawnServer(h.home, spawnArgs, spawnEnv())));
    ids = await awaitClusterFormed(nodes);
    m = ids.indexOf((await nodes[0].get('/api/cluster/master')).master_node_id);
    other = 1 - m;
  });

  afterEach(() => cancelAll());

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.server.stop('SIGKILL')));
    await nats?.stop();
    for (const h of [...homes, store]) h.remove();
  });

  it('a local job that takes the GPU between the pick and the rank’s order: 409 naming the node and the job; the bundle is rolled back', async () => {
    const answered = submit({ name: 'raced', nodes: 2, gpus_per_node: 1, participants: undefined });
    // Rank 0 (the master's own) went out; the master now waits before rank 1's order.
    await waitFor(async () => (await jobsNamed(m, 'raced rank 0/2')).length > 0, 'rank 0 enqueued');
    const local = await occupy(other);
    const answer = await answered;
    expect([answer.status, answer.body.code]).toEqual([409, 'CONFLICT']);
    expect(answer.body.message).toContain(`${label(other)} refused rank 1`);
    expect(answer.body.message).toContain(`reserved by ${local}`);
    expect(answer.body.details).toEqual([
      {
        field: 'gpus_per_node',
        message: expect.stringContaining(
          `on ${label(other)}: needs 1 GPU, 0 eligible (GPU 0 reserved by ${local})`,
        ),
      },
    ]);
    // Before: rank 1 was queued behind the local job (and the submit answered 201).
    expect(await jobsNamed(other, 'raced')).toEqual([]);
    await nothingOfBundleRuns('raced');
    expect((await nodes[other].get(`/api/jobs/${local}`)).status).toBe('running');
  });

  it('a node whose GPU is busy or gated, or whose scheduler is paused, refuses the rank at once', async () => {
    // Named participants: whether their GPUs are busy, the node decides (the master's view may be stale).
    const busy = await occupy(other);
    const first = await submit({ name: 'busy' });
    expect([first.status, first.body.code]).toEqual([409, 'CONFLICT']);
    expect(first.body.message).toContain(`${label(other)} refused rank 1`);
    expect(first.body.message).toContain(`reserved by ${busy}`);
    await nothingOfBundleRuns('busy');
    await cancelAll();

    // The GPU is idle but its policy admits only priority ≥ 5: refused before anything is journaled
    // (the master asks each node's policy), so no rank starts only to be killed.
    await nodes[other].post('/api/gpus/0/policy', { min_priority: 5 });
    try {
      const gated = await submit({ name: 'gated', priority: 1 });
      expect([gated.status, gated.body.code]).toEqual([409, 'CONFLICT']);
      expect(gated.body.message).toContain('GPU 0 requires priority ≥ 5');
      expect([...(await jobsNamed(m, 'gated')), ...(await jobsNamed(other, 'gated'))]).toEqual([]);
      expect((await nodes[m].get('/api/cluster/jobs')).items.some((x: any) => x.name === 'gated')).toBe(
        false,
      );
      // Allowed through: the rank starts there at once.
      const allowed = await submit({ name: 'allowed', priority: 5 });
      expect(allowed.status).toBe(201);
      await waitFor(
        async () => (await jobsNamed(other, 'allowed rank 1/2'))[0]?.status === 'running',
        'the admitted rank running',
      );
    } finally {
      await nodes[other].post('/api/gpus/0/policy', { min_priority: null });
    }
    await cancelAll();

    // Paused, the node would queue the rank and start it whenever it is resumed. The master sees
    // it paused and sends no rank at all (see cluster-placement.e2e).
    await nodes[other].post('/api/queue/scheduler', { enabled: false });
    try {
      const paused = await submit({ name: 'paused' });
      expect([paused.status, paused.body.code]).toEqual([409, 'CONFLICT']);
      expect(paused.body.message).toContain(
        `${label(other)} cannot start its rank now: its scheduler is paused`,
      );
      expect(await jobsNamed(m, 'paused')).toEqual([]);
    } finally {
      await nodes[other].post('/api/queue/scheduler', { enabled: true });
    }
  });

  it('a rank of higher priority preempts a preemptible local job, as any job of its priority would', async () => {
    const victim = await occupy(other, { preemptible: true, priority: 0 });
    const answer = await submit({ name: 'preempting', priority: 10 });
    expect(answer.status).toBe(201);
    await waitFor(
      async () => (await jobsNamed(other, 'preempting rank 1/2'))[0]?.status === 'running',
      'the rank running in place of the preempted job',
      30_000,
    );
    expect((await nodes[other].get(`/api/jobs/${victim}`)).status).toBe('queued');
  });

  // Last: the other node is restarted.
  it("a followed log of another node's job says when its node is unreachable and when it is back; every line once", async () => {
    const LINES = 40;
    const job = await nodes[other].post('/api/queue', {
      job_type: 'command',
      name: 'followed',
      requested_gpus: 0,
      job_params: { argv: [TORCHRUN] },
      env: { TORCHRUN_LINES: String(LINES), TORCHRUN_LINE_DELAY: '0.4' },
    });
    const via = nodes[m].server;
    const ws = new WebSocket(
      `${via.baseUrl.replace('http', 'ws')}/api/cluster/nodes/${ids[other]}/jobs/${job.queue_id}/tty`,
      { headers: { authorization: `Bearer ${via.token}` } },
    );
    let bytes = '';
    const frames: any[] = [];
    ws.on('message', (data: Buffer, binary: boolean) =>
      binary ? (bytes += data.toString()) : frames.push(JSON.parse(data.toString())),
    );
    const closed = once(ws, 'close');
    await waitFor(() => /rank log line 2\r?\n/.test(bytes) || undefined, 'the log under way');
    // The node's server goes (its job runs on, as jobs outlive their server), then comes back.
    await nodes[other].server.stop('SIGKILL');
    // Before: no frame said so (a quiet job and a dead node looked the same).
    await waitFor(() => frames.some((f) => f.type === 'node') || undefined, 'the unreachable frame', 20_000);
    nodes[other] = nodeOf(await spawnServer(homes[other].home, spawnArgs, spawnEnv()));
    const [code] = await closed;
    expect(code).toBe(1000);
    expect(frames).toEqual([
      {
        type: 'node',
        node_id: ids[other],
        reachable: false,
        message: expect.stringMatching(
          new RegExp(`^node ${escape(label(other))} is unreachable \\(.+\\); waiting for it$`),
        ),
      },
      {
        type: 'node',
        node_id: ids[other],
        reachable: true,
        message: `node ${label(other)} answers again; the log goes on`,
      },
      { type: 'end', status: 'done', exit_code: 0 },
    ]);
    expect(bytes.split(/\r?\n/).filter(Boolean)).toEqual([
      `torchrun in ${job.queue_id}`,
      ...Array.from({ length: LINES }, (_, i) => `rank log line ${i + 1}`),
    ]);
  });
});

/** `text` as a literal in a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
