import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { awaitClusterFormed, clusterArgs, nodeOf, workerPid, type ClusterNode } from './support/cluster';
import { request, sessionCookie } from './support/http';
import { natsServer, type NatsServer } from './support/nats-server';
import { freePort } from './support/ports';
import { spawnServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';
import { WebSocket } from 'ws';
import { idleEligibleGpus } from '@trainyard/cluster';

jest.setTimeout(120_000);

const FIXTURES = join(__dirname, 'fixtures');
const TORCHRUN = join(FIXTURES, 'bin', 'torchrun');

/**
 * Inter-node calls and multi-node training on real parts: a real `nats-server -js`, three built
 * Trainyard servers (one fake GPU each) and a fake torchrun that records its argv/env. Node 2 finds a
 * python3 whose torch is "2.5.0+fake", so its versions differ from the others'.
 */
describe('cluster jobs (e2e: nats-server + 3 spawned servers)', () => {
  const homes = [0, 1, 2].map(() => makeTempHome('trainyard-cj-'));
  const store = makeTempHome('trainyard-cj-nats-');
  const records = join(store.home, 'records');
  let nats: NatsServer;
  const nodes: ClusterNode[] = [];
  let ids: string[] = [];
  /** A bundle that ran on every node and ended done (a later test reads it while a node is away). */
  let doneBundleId: string | undefined;

  const submit = (node: ClusterNode, body: unknown) =>
    request(node.server.baseUrl, 'POST', '/api/cluster/jobs/submit', {
      token: node.server.token ?? undefined,
      body,
    });
  const everyone = (over: Record<string, unknown> = {}) => ({
    script: '/opt/train.py',
    args: ['--epochs', '1'],
    torchrun: TORCHRUN,
    participants: ids.map((node_id) => ({ node_id, gpus: 1 })),
    allow_version_mismatch: true,
    ...over,
  });
  /** Every job on every node (by node index). */
  const allJobs = async () =>
    Promise.all(nodes.map(async (n) => (await n.get('/api/jobs?limit=1000')).items as any[]));
  const gpusIdle = () =>
    waitFor(async () => {
      const view = await nodes[0].get('/api/cluster/gpus');
      return view.nodes.every((n: any) => n.gpus?.gpus.every((g: any) => g.reserved_by === null));
    }, 'every GPU idle');

  let base: string[] = [];
  /** Starts node `i` on its home (again, after a kill: same node id). */
  const start = async (i: number) =>
    nodeOf(
      await spawnServer(homes[i].home, base, {
        ...nats.clientEnv,
        // Test only: the master waits after rank 0 of bundles so named (see ClusterJobs).
        TRAINYARD_TEST_FANOUT_PAUSE: 'killed-master=60000,rollback-while-down=8000,rollback=3000',
        // Test only: the master lets its lease lapse once the ranks went out (see test-switches).
        TRAINYARD_TEST_LEASE_LAPSE: 'lease-lapse=4500',
        // Test only: every node applies this bundle's `submitted` entry late (see test-switches).
        TRAINYARD_TEST_HOLD_SETTLED: 'held-settle=2500',
        ...(i === 2 ? { PATH: `${join(FIXTURES, 'bin-torch')}:${process.env.PATH ?? ''}` } : {}),
      }),
    );

  beforeAll(async () => {
    mkdirSync(records);
    nats = natsServer(await freePort(), join(store.home, 'js'));
    await nats.start();
    base = clusterArgs('lab', nats);
    // One at a time: three cold starts at once can miss the banner timeout on a loaded machine.
    for (const i of [0, 1, 2]) nodes.push(await start(i));
    ids = await awaitClusterFormed(nodes);
    // Node 2's torch probe has reached every member table.
    for (const n of nodes)
      await waitFor(
        async () =>
          (await n.get('/api/cluster/members')).members.some((m: any) => m.versions.torch === '2.5.0+fake'),
        'the fake torch version in the member table',
      );
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.server.stop('SIGKILL')));
    await nats?.stop();
    for (const h of [...homes, store]) h.remove();
  });

  it("any node shows every node's GPUs and sets another node's GPU policy", async () => {
    const view = await nodes[0].get('/api/cluster/gpus');
    expect(view.nodes.map((n: any) => n.node_id).sort()).toEqual([...ids].sort());
    for (const n of view.nodes) {
      expect(n.error).toBeNull();
      expect(n.gpus.gpus).toHaveLength(1);
    }
    const policy = await nodes[0].post(`/api/cluster/nodes/${ids[1]}/gpus/0/policy`, { min_priority: 7 });
    expect(policy).toEqual({ disabled: false, min_priority: 7 });
    // Changed on node 1 itself, nowhere else.
    expect((await nodes[1].get('/api/gpus/policy'))['0'].min_priority).toBe(7);
    expect((await nodes[0].get('/api/gpus/policy'))['0'].min_priority).toBeNull();
    // Each node's idle eligible count is served for the asked priority, by the rule a submit picks by.
    const idle = async (query: string) => {
      const v = await nodes[2].get(`/api/cluster/gpus${query}`);
      for (const n of v.nodes) expect(n.idle_eligible).toBe(idleEligibleGpus(n.gpus.gpus, priorityOf(query)));
      return Object.fromEntries(v.nodes.map((n: any) => [n.node_id, n.idle_eligible]));
    };
    const priorityOf = (query: string) => Number(new URLSearchParams(query).get('priority') ?? 0);
    expect(await idle('')).toEqual({ [ids[0]]: 1, [ids[1]]: 0, [ids[2]]: 1 });
    expect(await idle('?priority=6')).toEqual({ [ids[0]]: 1, [ids[1]]: 0, [ids[2]]: 1 });
    expect(await idle('?priority=7')).toEqual({ [ids[0]]: 1, [ids[1]]: 1, [ids[2]]: 1 });
    expect(await idle('?priority=-5')).toEqual({ [ids[0]]: 1, [ids[1]]: 0, [ids[2]]: 1 });
    const bad = await request(nodes[0].server.baseUrl, 'GET', '/api/cluster/gpus?priority=1.5', {
      token: nodes[0].server.token ?? undefined,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toContainEqual(
      expect.objectContaining({ field: 'priority', message: expect.stringMatching(/plain decimal digits/) }),
    );
    await nodes[2].post(`/api/cluster/nodes/${ids[1]}/gpus/0/policy`, { min_priority: null });
    expect((await nodes[1].get('/api/gpus/policy'))['0'].min_priority).toBeNull();
    // A GPU the node does not have is its 404, passed through.
    const missing = await request(
      nodes[0].server.baseUrl,
      'POST',
      `/api/cluster/nodes/${ids[2]}/gpus/9/policy`,
      {
        token: nodes[0].server.token ?? undefined,
        body: { disabled: true },
      },
    );
    expect(missing.status).toBe(404);
    const unknown = await request(
      nodes[0].server.baseUrl,
      'GET',
      '/api/cluster/nodes/00000000-0000-0000-0000-000000000000/jobs',
      { token: nodes[0].server.token ?? undefined },
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NODE_NOT_FOUND');
  });

  it('refuses differing versions with 409 unless allow_version_mismatch, enqueuing nothing', async () => {
    const before = (await allJobs()).map((j) => j.length);
    const answer = await submit(nodes[1], everyone({ allow_version_mismatch: undefined }));
    expect(answer.status).toBe(409);
    expect(answer.body.code).toBe('VERSION_MISMATCH');
    expect(answer.body.message).toContain('torch differs');
    expect(answer.body.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'versions.torch' })]),
    );
    expect((await allJobs()).map((j) => j.length)).toEqual(before);
  });

  it('says where to run is missing or given twice: a 400 naming both ways and the fields, enqueuing nothing', async () => {
    const before = (await allJobs()).map((j) => j.length);
    const base = { script: '/opt/train.py', torchrun: TORCHRUN };
    const one = [{ node_id: ids[0], gpus: 1 }];
    const cases: Array<[string, Record<string, unknown>, string[], RegExp]> = [
      ['neither', {}, ['participants', 'nodes'], /participants .*or nodes \+ gpus_per_node/],
      ['nodes alone', { nodes: 2 }, ['gpus_per_node'], /gpus_per_node is required with nodes/],
      ['gpus_per_node alone', { gpus_per_node: 1 }, ['nodes'], /nodes is required with gpus_per_node/],
      [
        'an empty list',
        { participants: [] },
        ['participants'],
        /participants is empty.*nodes \+ gpus_per_node/,
      ],
      [
        'both ways',
        { participants: one, nodes: 1, gpus_per_node: 1 },
        ['nodes', 'gpus_per_node'],
        /cannot go with participants.*not both/,
      ],
      [
        'participants and gpus_per_node',
        { participants: one, gpus_per_node: 1 },
        ['gpus_per_node'],
        /not both/,
      ],
    ];
    for (const [what, body, fields, message] of cases) {
      const answer = await submit(nodes[1], { ...base, ...body });
      expect({ what, status: answer.status, code: answer.body.code }).toEqual({
        what,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      expect({ what, fields: answer.body.details.map((d: any) => d.field) }).toEqual({ what, fields });
      expect(answer.body.message).toMatch(message);
    }
    expect((await allJobs()).map((j) => j.length)).toEqual(before);
  });

  it('nodes × gpus_per_node no node set can ever meet is a 400 naming the field; one GPUs must free up for stays a 409', async () => {
    const before = (await allJobs()).map((j) => j.length);
    const pick = (nodes: number, gpus_per_node: number) => ({
      script: '/opt/train.py',
      torchrun: TORCHRUN,
      nodes,
      gpus_per_node,
      allow_version_mismatch: true,
    });
    // More nodes than the cluster has.
    const tooMany = await submit(nodes[0], pick(4, 1));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.details).toEqual([
      {
        field: 'nodes',
        message: 'nodes is 4 but the cluster has 3 nodes, so it can never run on this cluster',
      },
    ]);
    // More GPUs than any node has (each has one).
    const tooBig = await submit(nodes[0], pick(1, 2));
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.details).toEqual([
      {
        field: 'gpus_per_node',
        message:
          'gpus_per_node is 2 but the largest node has 1 usable GPU, so it can never run on this cluster',
      },
    ]);
    expect(tooBig.body.message).toContain('idle of 1 usable GPU'); // each node, as it is now
    // A disabled GPU can be enabled again: a conflict that passes, not a bad request.
    await nodes[0].post(`/api/cluster/nodes/${ids[2]}/gpus/0/policy`, { disabled: true });
    try {
      const busy = await submit(nodes[0], pick(3, 1));
      expect(busy.status).toBe(409);
      expect(busy.body.code).toBe('CONFLICT');
      // Not "once GPUs free up": nothing frees a disabled GPU but its operator (a trial).
      expect(busy.body.message).toMatch(
        /^needs 3 nodes with 1 idle eligible GPU each; only 2 nodes have that many now \(it can run once the nodes' GPU policy lets it\): /,
      );
      expect(busy.body.message).toContain('0 idle of 1 usable GPU (GPU 0 disabled)');
      // Naming the nodes would preempt where picking them does not (a trial): said so.
      expect(busy.body.message).toContain('to preempt preemptible jobs of lower priority, name the nodes');
      expect(busy.body.message).not.toMatch(/\b1 (nodes|GPUs)\b/);
    } finally {
      await nodes[0].post(`/api/cluster/nodes/${ids[2]}/gpus/0/policy`, { disabled: false });
    }
    expect((await allJobs()).map((j) => j.length)).toEqual(before);
  });

  it('a 3-node submit starts torchrun on every node with its rank, the rendezvous and the interface', async () => {
    const t0 = performance.now();
    const answer = await submit(
      nodes[1],
      everyone({ name: 'fanout', env: { TORCHRUN_RECORD_DIR: records, TORCHRUN_SLEEP: '60' } }),
    );
    expect(answer.status).toBe(201);
    const bundle = answer.body;
    const submitMs = Math.round(performance.now() - t0);
    // Every rank running (polled on each rank's own node).
    await waitFor(async () => {
      const states = await Promise.all(
        bundle.ranks.map(
          async (r: any) => (await nodes[ids.indexOf(r.node_id)].get(`/api/jobs/${r.queue_id}`)).status,
        ),
      );
      return states.every((s) => s === 'running');
    }, 'every rank running');
    const fanoutMs = Math.round(performance.now() - t0);
    console.log(
      `cluster bench (loopback, 3 nodes): submit answered ${submitMs} ms, all ranks running ${fanoutMs} ms`,
    );

    expect(bundle.ranks.map((r: any) => r.node_id)).toEqual(ids);
    expect(bundle.rdzv_endpoint).toBe('127.0.0.1:29400');
    expect(bundle.warnings.join()).toContain('torch differs');
    const master = (await nodes[0].get('/api/cluster/master')).master_node_id;
    expect(bundle.master_node_id).toBe(master);
    await waitFor(() => readdirSync(records).filter((f) => f.endsWith('.rec')).length === 3, 'three records');
    for (const [rank, r] of bundle.ranks.entries()) {
      const lines = readFileSync(join(records, `${r.queue_id}.rec`), 'utf8')
        .trim()
        .split('\n');
      const argv = lines.filter((l) => l.startsWith('arg ')).map((l) => l.slice(4));
      const env = Object.fromEntries(
        lines.filter((l) => l.startsWith('env ')).map((l) => l.slice(4).split('=') as [string, string]),
      );
      expect(argv).toEqual([
        '--nnodes',
        '3',
        '--node-rank',
        String(rank),
        '--rdzv-backend',
        'c10d',
        '--rdzv-endpoint',
        '127.0.0.1:29400',
        '--rdzv-id',
        bundle.rdzv_id,
        '--nproc-per-node',
        '1',
        '--rdzv-conf',
        `is_host=${rank === 0}`,
        '/opt/train.py',
        '--epochs',
        '1',
      ]);
      // The interface carrying 127.0.0.1 (the advertised address) on this host.
      expect(env).toEqual({
        NCCL_SOCKET_IFNAME: 'lo',
        GLOO_SOCKET_IFNAME: 'lo',
        TP_SOCKET_IFNAME: 'lo',
        TRAINYARD_CLUSTER_JOB_ID: bundle.id,
      });
    }
    // Every node lists the same bundle, rolled up running.
    for (const n of nodes) {
      const list = await waitFor(async () => {
        const l = await n.get('/api/cluster/jobs');
        return l.items.some((b: any) => b.id === bundle.id) ? l : undefined;
      }, 'the bundle on every node');
      const mine = list.items.find((b: any) => b.id === bundle.id);
      expect(mine.status).toBe('running');
      expect(mine.ranks.map((r: any) => r.status)).toEqual(['running', 'running', 'running']);
    }

    // Cancel from a node that is not the master: it fans out, every rank stops.
    const cancelled = await nodes[ids.indexOf(bundle.ranks[2].node_id)].post(
      `/api/cluster/jobs/${bundle.id}/cancel`,
    );
    expect(cancelled.cancelled_at).toEqual(expect.any(String));
    for (const n of nodes)
      await waitFor(
        async () => (await n.get(`/api/cluster/jobs/${bundle.id}`)).status === 'cancelled',
        'cancelled everywhere',
      );
    // The user's cancel: each rank ends as a user's abort.
    for (const r of bundle.ranks)
      expect(await nodes[ids.indexOf(r.node_id)].get(`/api/jobs/${r.queue_id}`)).toMatchObject({
        status: 'aborted',
        termination_reason: 'user_abort',
      });
  });

  it("follows a remote rank's log through another node; nodes: N picks nodes; the bundle ends done", async () => {
    await gpusIdle();
    const t0 = performance.now();
    const answer = await submit(nodes[0], {
      ...everyone({ participants: undefined, nodes: 3, gpus_per_node: 1, name: 'logs' }),
      env: { TORCHRUN_LINES: '6', TORCHRUN_LINE_DELAY: '0.3' },
    });
    expect(answer.status).toBe(201);
    const bundle = answer.body;
    await waitFor(async () => {
      const states = await Promise.all(
        bundle.ranks.map(
          async (r: any) => (await nodes[ids.indexOf(r.node_id)].get(`/api/jobs/${r.queue_id}`)).status,
        ),
      );
      return states.every((s) => s === 'running');
    }, 'every rank running');
    console.log(
      `cluster bench (loopback, 3 nodes, launchers warm): submit → all ranks running ${Math.round(performance.now() - t0)} ms`,
    );
    expect(new Set(bundle.ranks.map((r: any) => r.node_id))).toEqual(new Set(ids));
    // The coordinator picks itself first: rank 0 and the rendezvous host.
    const master = (await nodes[0].get('/api/cluster/master')).master_node_id;
    expect(bundle.ranks[0].node_id).toBe(master);
    const remote = bundle.ranks.find((r: any) => r.node_id !== ids[0]);
    const via = nodes[0];
    const path = `/api/cluster/nodes/${remote.node_id}/jobs/${remote.queue_id}/tty`;
    const token = via.server.token ?? undefined;
    let text = '';
    let offset: number | null = null;
    for (;;) {
      const q: string = offset === null ? '' : `?offset=${offset}&wait_ms=5000`;
      const r = await request(via.server.baseUrl, 'GET', path + q, { token });
      expect(r.status).toBe(200);
      text += r.text;
      const next = Number(r.headers.get('x-trainyard-log-next-offset'));
      if (offset !== null && next === offset && r.headers.get('x-trainyard-log-ended') === 'true') break;
      offset = next;
    }
    const lines = text.split(/\r?\n/).filter((l) => l.startsWith('rank log line'));
    expect(lines).toEqual([1, 2, 3, 4, 5, 6].map((i) => `rank log line ${i}`));
    doneBundleId = bundle.id;
    for (const n of nodes)
      await waitFor(
        async () => (await n.get(`/api/cluster/jobs/${bundle.id}`)).status === 'done',
        'done everywhere',
      );
    // From its last lines, read back from the end on the owning node (a last line without `\n`
    // would count as one, as `tail -n` counts it).
    const last = await request(via.server.baseUrl, 'GET', `${path}?last=2`, { token });
    expect(last.status).toBe(200);
    expect(last.text.split(/\r?\n/).filter(Boolean)).toEqual(['rank log line 5', 'rank log line 6']);
    expect(Number(last.headers.get('x-trainyard-log-next-offset'))).toBe(offset);
    expect(Number(last.headers.get('x-trainyard-log-offset'))).toBe(offset - Buffer.byteLength(last.text));
    const none = await request(via.server.baseUrl, 'GET', `${path}?last=0`, { token });
    expect([none.status, none.text, none.headers.get('x-trainyard-log-offset')]).toEqual([
      200,
      '',
      String(offset),
    ]);
    const both = await request(via.server.baseUrl, 'GET', `${path}?offset=0&last=1`, { token });
    expect(both.status).toBe(400);
    expect(both.body.details).toEqual([{ field: 'last', message: 'give offset or last, not both' }]);
    // The node's job list is there too.
    const listed = await via.get(`/api/cluster/nodes/${remote.node_id}/jobs`);
    expect(listed.items.map((j: any) => j.queue_id)).toContain(remote.queue_id);
    // Paged, it follows the node's own cursors.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await via.get(
        `/api/cluster/nodes/${remote.node_id}/jobs?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      paged.push(...page.items.map((j: any) => j.queue_id));
      cursor = page.next_cursor;
    } while (cursor && paged.length < 3);
    expect(paged).toEqual(listed.items.slice(0, paged.length).map((j: any) => j.queue_id));
  });

  it('all or nothing: a node that refuses its rank leaves no rank queued or running anywhere', async () => {
    await gpusIdle();
    const before = (await allJobs()).map((j) => j.length);
    // A gate the rank's priority does not pass is refused up front, naming it: nothing is enqueued.
    // Before: rank 0 was started, then killed when node 2 refused its rank.
    await nodes[2].post('/api/gpus/0/policy', { min_priority: 5 });
    const gated = await submit(nodes[0], everyone({ name: 'gated' })).finally(() =>
      nodes[2].post('/api/gpus/0/policy', { min_priority: null }),
    );
    expect([gated.status, gated.body.details]).toEqual([
      409,
      [
        {
          field: 'participants[2].gpus',
          message: expect.stringContaining(
            "lets this job's priority use 0 GPUs of its 1 (GPU 0 requires priority ≥ 5)",
          ),
        },
      ],
    ]);
    expect((await allJobs()).map((j) => j.length)).toEqual(before);

    // Node 2's GPU is gated while the fan-out is under way (the test-only pause after rank 0): it
    // refuses its rank after ranks 0 and 1 were enqueued.
    const answered = submit(
      nodes[0],
      everyone({
        name: 'rollback',
        // Each rank ignores SIGTERM, as a real torchrun waiting in the rendezvous for peers may.
        env: { TORCHRUN_SLEEP: '60', TORCHRUN_IGNORE_TERM: '1' },
      }),
    );
    await waitFor(
      async () =>
        (await nodes[0].get('/api/jobs?limit=1000')).items.some((j: any) => j.name === 'rollback rank 0/3'),
      'rank 0 enqueued',
    );
    await nodes[2].post('/api/gpus/0/policy', { min_priority: 5 });
    const answer = await answered.finally(() => nodes[2].post('/api/gpus/0/policy', { min_priority: null }));
    expect(answer.status).toBe(409);
    expect(answer.body.message).toContain('refused rank 2');
    // The field the user gave (it named the node's own `requested_gpus`: a trial).
    expect(answer.body.details).toEqual([expect.objectContaining({ field: 'participants[2].gpus' })]);
    // Ranks 0 and 1 were enqueued on their nodes (so this was a rollback, not an up-front refusal) ...
    for (const [i, n] of nodes.slice(0, 2).entries()) {
      const journal = JSON.stringify((await n.get('/api/journal?limit=1000')).items);
      expect(journal).toContain(`rollback rank ${i}/3`);
    }
    const byNode = await allJobs();
    // ... and none is left waiting or running: killed at once, not after the 10 s grace period a
    // SIGTERM that goes unheeded gets (the trial saw them run ~10 s).
    await waitFor(
      async () => {
        const now = await allJobs();
        return now
          .flat()
          .every((j) => !j.name?.startsWith('rollback') || ['aborted', 'done', 'failed'].includes(j.status));
      },
      'no rollback rank left, well inside the grace period',
      7000,
    );
    // Nobody asked: the cluster killed them because their bundle could not start (before: user_kill,
    // "force-killed on request").
    for (const job of (await allJobs()).flat().filter((j) => j.name?.startsWith('rollback')))
      expect(job).toMatchObject({
        status: 'aborted',
        termination_reason: 'bundle_rollback',
        exit_code: 137,
        error:
          'killed: its multi-node job was rolled back (not every rank could start); killed by signal 9 (SIGKILL)',
      });
    expect(byNode[2].some((j) => j.name?.startsWith('rollback'))).toBe(false);
    // The bundle is recorded as rolled back, the same on every node: failed, with the refusal; the
    // ranks that were queued read cancelled, the one its node refused not_queued (nothing was cancelled).
    for (const n of nodes) {
      const bundle = await waitFor(async () => {
        const b = (await n.get('/api/cluster/jobs')).items.find((x: any) => x.name === 'rollback');
        return b?.state === 'failed' && b.failure_reason.includes('refused rank 2') && b;
      }, 'the rolled-back bundle listed as failed');
      expect(bundle.status).toBe('failed');
      expect(bundle.ranks.map((r: any) => [r.status, r.queue_id === null])).toEqual([
        ['cancelled', false],
        ['cancelled', false],
        ['not_queued', true],
      ]);
    }
    // Nothing of it is left to cancel: a 409 saying so, and no cancel time recorded (a trial: "cancel
    // sent; status failed", and the bundle then showed a cancel time for a cancel that stopped nothing).
    const id = (await nodes[0].get('/api/cluster/jobs')).items.find((x: any) => x.name === 'rollback').id;
    const cancel = await request(nodes[1].server.baseUrl, 'POST', `/api/cluster/jobs/${id}/cancel`, {
      token: nodes[1].server.token ?? undefined,
    });
    expect([cancel.status, cancel.body.message]).toEqual([
      409,
      expect.stringMatching(
        new RegExp(`^cluster job ${id} was rolled back \\(.*refused rank 2.*\\): nothing of it runs`),
      ),
    ]);
    expect((await nodes[1].get(`/api/cluster/jobs/${id}`)).cancelled_at).toBeNull();
  });

  it("follows another node's job over the WebSocket: lines written after connecting, then the end frame; refused without credentials or from a foreign Origin", async () => {
    const owner = nodes[1];
    const job = await owner.post('/api/queue', {
      job_type: 'command',
      name: 'ws-follow',
      requested_gpus: 0,
      job_params: { argv: [TORCHRUN] },
      env: { TORCHRUN_LINES: '5', TORCHRUN_LINE_DELAY: '0.4' },
    });
    const via = nodes[0];
    const url = `${via.server.baseUrl.replace('http', 'ws')}/api/cluster/nodes/${ids[1]}/jobs/${job.queue_id}/tty`;
    const outcome = async (headers: Record<string, string>) => {
      const ws = new WebSocket(url, { headers });
      try {
        return await Promise.race([
          once(ws, 'open').then(() => 'open' as const),
          once(ws, 'unexpected-response').then(([, res]) => (res as { statusCode: number }).statusCode),
        ]);
      } finally {
        ws.terminate();
      }
    };
    expect(await outcome({})).toBe(401);
    expect(await outcome({ authorization: 'Bearer nope' })).toBe(401);
    // A cookie session from another site's page: the same Origin rule as every WebSocket.
    const cookie = sessionCookie(
      await request(via.server.baseUrl, 'POST', '/api/auth/login', { body: { token: via.server.token } }),
    );
    expect(await outcome({ cookie, origin: 'http://127.0.0.1:1' })).toBe(403);
    expect(await outcome({ cookie, origin: via.server.baseUrl })).toBe('open');

    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${via.server.token}` } });
    const frames: Array<{ at: number; text: string } | { at: number; json: any }> = [];
    ws.on('message', (data: Buffer, binary) => {
      const text = data.toString('utf8');
      frames.push(binary ? { at: Date.now(), text } : { at: Date.now(), json: JSON.parse(text) });
    });
    await once(ws, 'open');
    const openedAt = Date.now();
    const [code] = await once(ws, 'close');
    expect(code).toBe(1000);
    const text = frames.flatMap((f) => ('text' in f ? [f.text] : [])).join('');
    expect(text.split(/\r?\n/).filter((l) => l.startsWith('rank log line'))).toEqual(
      [1, 2, 3, 4, 5].map((i) => `rank log line ${i}`),
    );
    // The last lines came while the socket was open (followed, not one snapshot) ...
    const last = frames.filter((f) => 'text' in f && f.text.includes('rank log line 5'));
    expect(last[0].at - openedAt).toBeGreaterThan(300);
    // ... and the stream ended as the local one does: the end frame, then close 1000 — soon after the
    // job's end, not after a whole long-poll wait (20 s).
    expect(frames.at(-1)).toMatchObject({ json: { type: 'end', status: 'done', exit_code: 0 } });
    expect(frames.at(-1)!.at - last[0].at).toBeLessThan(5000);
  });

  it("another node's capped log reads with the local stream's logical offsets: a resume at 0 says what the cap dropped, and a live follower gets every kept line once, in order", async () => {
    const owner = nodes[1];
    const via = nodes[0];
    const frames = async (url: string, headers: Record<string, string>) => {
      const ws = new WebSocket(url, { headers });
      const got: Array<{ text: string } | { json: any }> = [];
      ws.on('message', (data: Buffer, binary) =>
        got.push(binary ? { text: data.toString('utf8') } : { json: JSON.parse(data.toString('utf8')) }),
      );
      const [code] = await once(ws, 'close');
      expect(code).toBe(1000);
      return got;
    };
    const remote = (id: string, query: string) =>
      frames(
        `${via.server.baseUrl.replace('http', 'ws')}/api/cluster/nodes/${ids[1]}/jobs/${id}/tty${query}`,
        { authorization: `Bearer ${via.server.token}` },
      );
    const lineNumbers = (got: Array<{ text: string } | { json: any }>) =>
      got
        .flatMap((f) => ('text' in f ? [f.text] : []))
        .join('')
        .split(/\r?\n/)
        .flatMap((l) => (/^line \d{4} /.test(l) ? [Number(l.slice(5, 9))] : []));
    // 400 lines of ~100 bytes under a 4 KiB cap: the file is replaced a dozen times.
    const writer = (delay: number) => ({
      job_type: 'command',
      requested_gpus: 0,
      log_cap_bytes: 4096,
      job_params: {
        argv: [
          'python3',
          '-c',
          `import sys, time\nfor i in range(400):\n    print('line %04d ' % i + 'x' * 90, flush=True)\n    time.sleep(${delay})`,
        ],
      },
    });

    // Ended: resuming at 0 gives the same frames as the owner's own stream.
    const ended = await owner.post('/api/queue', writer(0));
    await waitFor(
      async () => (await owner.get(`/api/jobs/${ended.queue_id}`)).status === 'done',
      'the writer to end',
    );
    const local = await frames(
      `${owner.server.baseUrl.replace('http', 'ws')}/api/jobs/${ended.queue_id}/tty?offset=0`,
      { authorization: `Bearer ${owner.server.token}` },
    );
    const fromAfar = await remote(ended.queue_id, '?offset=0');
    expect(local[0]).toMatchObject({ json: { type: 'start', dropped: expect.any(Number) } });
    expect((local[0] as { json: any }).json.offset).toBeGreaterThan(0);
    expect(fromAfar.filter((f) => 'json' in f)).toEqual(local.filter((f) => 'json' in f));
    expect(fromAfar.flatMap((f) => ('text' in f ? [f.text] : [])).join('')).toBe(
      local.flatMap((f) => ('text' in f ? [f.text] : [])).join(''),
    );
    expect(lineNumbers(fromAfar).at(-1)).toBe(399);

    // Live, from the start: every line it gets comes once and in order, up to the last; a gap only
    // where a start frame says the cap dropped output first.
    const live = await owner.post('/api/queue', writer(0.005));
    const got = await remote(live.queue_id, '?offset=0');
    expect(got.at(-1)).toMatchObject({ json: { type: 'end', status: 'done', exit_code: 0 } });
    let last = -1;
    let dropSeen = true; // the first line may be any: the cap may have dropped the start already
    for (const f of got) {
      if ('json' in f) {
        if (f.json.type === 'start' && f.json.dropped > 0) dropSeen = true;
        continue;
      }
      for (const n of lineNumbers([f])) {
        if (n !== last + 1) expect({ line: n, after: last, dropSeen }).toMatchObject({ dropSeen: true });
        expect(n).toBeGreaterThan(last);
        last = n;
        dropSeen = false;
      }
    }
    expect(last).toBe(399);
  });

  // Kept last: it kills the master (and starts it again).
  it('a master killed mid-fan-out: the next master rolls the bundle back; no rank keeps running; every node lists it', async () => {
    await gpusIdle();
    const masterId = (await nodes[0].get('/api/cluster/master')).master_node_id as string;
    const m = ids.indexOf(masterId);
    const [a, b] = [0, 1, 2].filter((i) => i !== m);
    // Rank 0 (on a) goes out at once; ranks 1 (the master) and 2 (on b) wait for the test-only pause.
    const answered = submit(
      nodes[a],
      everyone({
        name: 'killed-master',
        env: { TORCHRUN_SLEEP: '120' },
        participants: [a, m, b].map((i) => ({ node_id: ids[i], gpus: 1 })),
      }),
    ).then((answer) => ({ answer, at: Date.now() }));
    const rank0 = () =>
      nodes[a]
        .get('/api/jobs?limit=1000')
        .then((p) => p.items.find((j: any) => j.name === 'killed-master rank 0/3'));
    await waitFor(async () => (await rank0())?.status === 'running', 'rank 0 running on its node');
    // The intent was journaled before rank 0 went out: the others list the bundle as submitting.
    for (const i of [a, b])
      await waitFor(async () => {
        const x = (await nodes[i].get('/api/cluster/jobs')).items.find(
          (y: any) => y.name === 'killed-master',
        );
        return x?.state === 'submitting' && x.status === 'submitting';
      }, 'the intent listed');
    process.kill(workerPid(nodes[m].server), 'SIGKILL');
    const killedAt = Date.now();
    await nodes[m].server.stop('SIGKILL'); // and its supervisor, so nothing restarts it
    // The node it was submitted to answers once the master's lease lapses, not a minute later.
    const { answer, at } = await answered;
    // It followed the bundle to what the next master decided: rolled back, so a retry is safe.
    expect([answer.status, answer.body.code]).toEqual([503, 'NODE_UNREACHABLE']);
    expect(answer.body.message).toContain(`the master ${masterId} went away during the submit`);
    expect(answer.body.message).toMatch(
      /cj_\w+ was rolled back, nothing of it runs \(.*ranks 1, 2 never enqueued/,
    );
    expect(at - killedAt).toBeLessThan(15_000);

    const resolved = async (n: ClusterNode) =>
      (await n.get('/api/cluster/jobs')).items.find((y: any) => y.name === 'killed-master');
    for (const i of [a, b])
      await waitFor(
        async () => (await resolved(nodes[i]))?.state === 'failed',
        'the bundle rolled back',
        20_000,
      );
    // The orphan rank was cancelled; the ranks that never went out were never queued.
    await waitFor(
      async () => ['aborted', 'failed', 'done'].includes((await rank0()).status),
      'rank 0 stopped',
    );
    // Stopped by the next master's rollback, not at anyone's request.
    expect(await rank0()).toMatchObject({ status: 'aborted', termination_reason: 'bundle_rollback' });
    expect(
      (await nodes[b].get('/api/jobs?limit=1000')).items.some((j: any) =>
        j.name?.startsWith('killed-master'),
      ),
    ).toBe(false);
    // The killed master comes back (same node id) and lists the same bundle as everyone else.
    nodes[m] = await start(m);
    await awaitClusterFormed(nodes);
    const seen = async (n: ClusterNode) => {
      const x = await resolved(n);
      return (
        x && JSON.stringify([x.id, x.state, x.status, x.failure_reason, x.ranks.map((r: any) => r.queue_id)])
      );
    };
    const want = await seen(nodes[a]);
    expect(want).toContain(`ranks 1, 2 never enqueued`);
    for (const n of nodes)
      await waitFor(async () => (await seen(n)) === want, 'the same bundle on every node');
  });

  it('a cancel that cannot reach a down node says so, and stops that rank once its node is back', async () => {
    await gpusIdle();
    const masterId = (await nodes[0].get('/api/cluster/master')).master_node_id as string;
    const m = ids.indexOf(masterId);
    const down = [0, 1, 2].find((i) => i !== m)!;
    // A bundle that ends on both nodes before one goes away, never read as ended through the master.
    const after = (await nodes[m].get('/api/cluster/self')).replication.consumed_stream_seq as number;
    const quick = await submit(
      nodes[m],
      everyone({
        name: 'ended-before-down',
        participants: [m, down].map((i) => ({ node_id: ids[i], gpus: 1 })),
      }),
    );
    expect(quick.status).toBe(201);
    const quickRank = (i: number) => quick.body.ranks.find((r: any) => r.node_id === ids[i]);
    for (const i of [m, down])
      await waitFor(
        async () => (await nodes[i].get(`/api/jobs/${quickRank(i).queue_id}`)).status === 'done',
        'the quick rank done',
      );
    await waitFor(async () => {
      const { items } = await nodes[m].get(`/api/cluster/journal?after=${after}&limit=1000`);
      return items.some(
        (e: any) => e.type === 'job.finished.v1' && e.payload.queue_id === quickRank(down).queue_id,
      );
    }, "the rank's end replicated to the master");
    await gpusIdle();
    const answer = await submit(
      nodes[m],
      everyone({
        name: 'cancel-while-down',
        env: { TORCHRUN_SLEEP: '120' },
        participants: [m, down].map((i) => ({ node_id: ids[i], gpus: 1 })),
      }),
    );
    expect(answer.status).toBe(201);
    const bundle = answer.body;
    const rankOn = (i: number) => bundle.ranks.find((r: any) => r.node_id === ids[i]);
    const rankStatus = async (i: number) =>
      (await nodes[i].get(`/api/jobs/${rankOn(i).queue_id}`)).status as string;
    await waitFor(async () => (await rankStatus(down)) === 'running', 'the rank on the other node running');
    // The node goes away (its job keeps running, as jobs outlive their server).
    await nodes[down].server.stop('SIGKILL');
    await waitFor(
      async () =>
        (await nodes[m].get('/api/cluster/members')).members.find((x: any) => x.node_id === ids[down])
          ?.reachable === false,
      'the node unreachable',
    );
    // A bundle that ended on every node reads the same while one of them is away (before: unknown).
    expect(doneBundleId).toBeDefined();
    expect((await nodes[m].get(`/api/cluster/jobs/${doneBundleId}`)).status).toBe('done');
    // So does one this server never read as ended: its rank there ended by the replicated journal.
    expect((await nodes[m].get(`/api/cluster/jobs/${quick.body.id}`)).status).toBe('done');
    const cancel = await request(nodes[m].server.baseUrl, 'POST', `/api/cluster/jobs/${bundle.id}/cancel`, {
      token: nodes[m].server.token ?? undefined,
    });
    expect(cancel.status).toBe(200);
    // Before: `warnings: []`, and the rank ran on once its node came back (a trial found it).
    expect(cancel.body.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^rank 1 \\(${rankOn(down).queue_id} on \\S+ \\(${ids[down].slice(0, 8)}\\)\\) was not cancelled: .*it is cancelled once its node answers again$`,
        ),
      ),
    ]);
    expect(await rankStatus(m)).not.toBe('running');
    // The master's scrape counts the rank its cancel has not reached (an alert can fire on it).
    const pending = async () =>
      /^trainyard_cluster_cancels_pending (\d+)$/m.exec(
        (
          await request(nodes[m].server.baseUrl, 'GET', '/metrics', {
            token: nodes[m].server.token ?? undefined,
          })
        ).text,
      )?.[1];
    // At least this rank (ranks of earlier rolled-back bundles on that node the master has not yet
    // heard about count too).
    await waitFor(async () => Number(await pending()) >= 1 || undefined, 'a cancel pending on the master');
    nodes[down] = await start(down);
    await waitFor(
      async () => (await rankStatus(down)) === 'aborted',
      'the rank stopped once its node is back',
      20_000,
    );
    // Re-attached, then stopped for the user's cancel: a user's abort, with its command's own status.
    expect(await nodes[down].get(`/api/jobs/${rankOn(down).queue_id}`)).toMatchObject({
      termination_reason: 'user_abort',
      exit_code: 143,
    });
    await waitFor(async () => (await pending()) === '0' || undefined, 'no cancel pending');
    for (const n of nodes)
      await waitFor(
        async () => (await n.get(`/api/cluster/jobs/${bundle.id}`)).status === 'cancelled',
        'the bundle cancelled everywhere',
      );
  });

  it('a node frozen during the fan-out never queues the rank its master gave up on', async () => {
    await gpusIdle();
    const masterId = (await nodes[0].get('/api/cluster/master')).master_node_id as string;
    const m = ids.indexOf(masterId);
    const frozen = [0, 1, 2].find((i) => i !== m)!;
    // The node's worker stops answering (SIGSTOP: a stalled VM, a debugger); NATS keeps what is sent
    // to it, and it reads those orders when it runs again.
    const pid = workerPid(nodes[frozen].server);
    process.kill(pid, 'SIGSTOP');
    let answer: Awaited<ReturnType<typeof submit>>;
    try {
      answer = await submit(
        nodes[m],
        everyone({
          name: 'frozen-node',
          env: { TORCHRUN_SLEEP: '120' },
          participants: [m, frozen].map((i) => ({ node_id: ids[i], gpus: 1 })),
        }),
      );
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect([answer.status, answer.body.code]).toEqual([503, 'NODE_UNREACHABLE']);
    expect(answer.body.message).toContain('refused rank 1');
    await waitFor(
      async () =>
        (await nodes[frozen].get('/api/cluster/jobs')).items.find((x: any) => x.name === 'frozen-node')
          ?.state === 'failed',
      'the rolled-back bundle listed on the node that was frozen',
      20_000,
    );
    // Before: the node queued the late order when it woke, and the rank ran alone for good (holding
    // its GPU, torchrun waiting for a rendezvous that never comes). Now the order is refused as read
    // after its master stopped waiting; nothing of the bundle was ever queued there.
    await new Promise((r) => setTimeout(r, 2000));
    const journal = JSON.stringify((await nodes[frozen].get('/api/journal?limit=1000')).items);
    expect(journal).not.toContain('frozen-node rank 1/2');
    const mine = (await nodes[m].get('/api/jobs?limit=1000')).items.find(
      (j: any) => j.name === 'frozen-node rank 0/2',
    );
    await waitFor(
      async () => (await nodes[m].get(`/api/jobs/${mine.queue_id}`)).status === 'aborted',
      "the master's own rank cancelled",
    );
  }, 90_000);

  it('a rollback that cannot reach a node stops its rank once the node is back', async () => {
    await gpusIdle();
    const masterId = (await nodes[0].get('/api/cluster/master')).master_node_id as string;
    const m = ids.indexOf(masterId);
    const x = [0, 1, 2].find((i) => i !== m)!;
    // Rank 0 (on x) goes out at once; rank 1 (the master, whose GPU admits only priority ≥ 5 from
    // then on) is refused after the test-only pause, by when x is down.
    const answered = submit(
      nodes[m],
      everyone({
        name: 'rollback-while-down',
        env: { TORCHRUN_SLEEP: '120' },
        participants: [
          { node_id: ids[x], gpus: 1 },
          { node_id: ids[m], gpus: 1 },
        ],
      }),
    ).finally(() => nodes[m].post('/api/gpus/0/policy', { min_priority: null }));
    const rank0 = async () =>
      (await nodes[x].get('/api/jobs?limit=1000')).items.find(
        (j: any) => j.name === 'rollback-while-down rank 0/2',
      );
    await waitFor(async () => (await rank0())?.status === 'running', 'rank 0 running on its node');
    await nodes[m].post('/api/gpus/0/policy', { min_priority: 5 });
    const rankId = (await rank0()).queue_id as string;
    await nodes[x].server.stop('SIGKILL'); // its job keeps running
    const answer = await answered;
    expect(answer.status).toBe(409);
    expect(answer.body.message).toContain('refused rank 1');
    nodes[x] = await start(x);
    await awaitClusterFormed(nodes);
    // Before: the rollback's cancel could not reach x, a rolled-back bundle was never looked at
    // again, and rank 0 ran on alone once x re-attached it.
    const ended = await waitFor(
      async () => {
        const job = await nodes[x].get(`/api/jobs/${rankId}`);
        return job.status === 'aborted' && job;
      },
      'the rank stopped once its node is back',
      20_000,
    );
    // Re-attached, then killed for the rollback: the rollback's reason, and its command's own status.
    expect(ended).toMatchObject({ termination_reason: 'bundle_rollback', exit_code: 137 });
  }, 120_000);

  it('a cancelled rank in its grace period is not cancelled again every second', async () => {
    await gpusIdle();
    const masterId = (await nodes[0].get('/api/cluster/master')).master_node_id as string;
    const master = nodes[ids.indexOf(masterId)];
    const answer = await submit(
      master,
      everyone({ name: 'grace', env: { TORCHRUN_SLEEP: '120', TORCHRUN_IGNORE_TERM: '1' } }),
    );
    expect(answer.status).toBe(201);
    const id = answer.body.id as string;
    await waitFor(
      async () => (await master.get(`/api/cluster/jobs/${id}`)).status === 'running',
      'the bundle running',
    );
    const logged = () => master.server.output().split('had not stopped').length - 1;
    const before = logged();
    await master.post(`/api/cluster/jobs/${id}/cancel`);
    // The ranks ignore SIGTERM: they stay terminating for their 10 s grace period. Before: the master
    // sent each of them the cancel again every second, with a warning each time.
    await new Promise((r) => setTimeout(r, 4000));
    expect(logged()).toBe(before);
    await waitFor(
      async () => (await master.get(`/api/cluster/jobs/${id}`)).status === 'cancelled',
      'the bundle cancelled once the grace period ran out',
      20_000,
    );
  }, 60_000);

  it("a rank cancelled on its own node stops the bundle's other ranks: it no longer reads running", async () => {
    await gpusIdle();
    const answer = await submit(
      nodes[0],
      everyone({ name: 'one-rank-gone', env: { TORCHRUN_SLEEP: '120' } }),
    );
    expect(answer.status).toBe(201);
    const id = answer.body.id as string;
    await waitFor(
      async () => (await nodes[0].get(`/api/cluster/jobs/${id}`)).status === 'running',
      'the bundle running',
    );
    const ranks = (await nodes[0].get(`/api/cluster/jobs/${id}`)).ranks as Array<{
      node_id: string;
      queue_id: string;
    }>;
    // Rank 1 is cancelled on its node, as `trainyard sched cancel` there would. Before: the other ranks
    // ran on (on their GPUs, waiting for it in a real rendezvous) and the bundle read `running`.
    const owner = nodes[ids.indexOf(ranks[1].node_id)];
    await owner.post(`/api/jobs/${ranks[1].queue_id}/control/abort`);
    // Every rank stopped, and the bundle's cancel recorded (replicated to the node asked, which may
    // see the ranks' own status first under load).
    const ended = await waitFor(
      async () => {
        const view = await nodes[0].get(`/api/cluster/jobs/${id}`);
        const stopped = view.ranks.every((r: { status: string }) => r.status === 'cancelled');
        return stopped && view.cancelled_at !== null ? view : undefined;
      },
      'every rank stopped after one was cancelled, and the cancel recorded',
      30_000,
    );
    expect(ended.status).toBe('cancelled');
    await gpusIdle();
  }, 60_000);

  /** The `submitted` entries of bundle `id` every node wrote in its own journal. */
  const submittedEntries = async (id: string) => {
    const entries: any[] = [];
    for (const n of nodes)
      entries.push(...(await n.get('/api/journal?area=cluster&order=desc&limit=1000')).items);
    return entries.filter((e) => e.type === 'cluster.bundle_submitted.v1' && e.payload.bundle.id === id);
  };
  const cancelBundle = async (id: string) => {
    await nodes[0].post(`/api/cluster/jobs/${id}/cancel`);
    await gpusIdle();
  };

  it('a master whose lease lapses once every rank is queued: the submit answers the bundle the next term completes, not a failure', async () => {
    await gpusIdle();
    const masterId = (await nodes[0].get('/api/cluster/master')).master_node_id as string;
    const m = ids.indexOf(masterId);
    const a = [0, 1, 2].find((i) => i !== m)!;
    const answer = await submit(
      nodes[a],
      everyone({
        name: 'lease-lapse',
        env: { TORCHRUN_SLEEP: '120' },
        participants: [a, m].map((i) => ({ node_id: ids[i], gpus: 1 })),
      }),
    );
    // Before: 409 NOT_MASTER "lost the master lease during the submit", no bundle id, CLI exit 1 —
    // while the next master completed the bundle and both ranks ran (a retry ran the training twice).
    expect([answer.status, answer.body.state]).toEqual([201, 'submitted']);
    expect(answer.body.warnings.join(' ')).toContain('every rank was queued, so');
    const id = answer.body.id as string;
    for (const n of nodes)
      await waitFor(
        async () => (await n.get(`/api/cluster/jobs/${id}`)).status === 'running',
        'the bundle running, listed on every node',
      );
    expect(await submittedEntries(id)).toHaveLength(1);
    await cancelBundle(id);
  });

  it('a master whose view lags does not settle a bundle it settled itself again', async () => {
    await gpusIdle();
    const masterId = (await nodes[0].get('/api/cluster/master')).master_node_id as string;
    const m = ids.indexOf(masterId);
    const answer = await submit(
      nodes[m],
      everyone({
        name: 'held-settle',
        env: { TORCHRUN_SLEEP: '120' },
        participants: [m, (m + 1) % 3].map((i) => ({ node_id: ids[i], gpus: 1 })),
      }),
    );
    expect([answer.status, answer.body.state]).toEqual([201, 'submitted']);
    const id = answer.body.id as string;
    // The master's resolver ran (every second) while its view showed the bundle `submitting`.
    await new Promise((r) => setTimeout(r, 2500));
    // Before: a second `submitted` entry, and a false "every rank was enqueued before its master
    // stopped" in its log, from the master that had just settled it (a rank cancelled in that
    // window would have rolled a good bundle back).
    expect(await submittedEntries(id)).toHaveLength(1);
    await cancelBundle(id);
  });

  it('lists the bundles a page at a time, newest first, the same walk on every node; a bad cursor is a 400 naming it', async () => {
    const whole = await nodes[0].get('/api/cluster/jobs?limit=1000');
    expect(whole.total).toBeGreaterThan(3);
    expect([whole.items.length, whole.next_cursor]).toEqual([whole.total, null]);
    const created = whole.items.map((b: any) => b.created_at);
    expect(created).toEqual([...created].sort().reverse());
    for (const node of nodes) {
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await node.get(`/api/cluster/jobs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.items.length).toBeLessThanOrEqual(2);
        expect(page.total).toBe(whole.total);
        walked.push(...page.items.map((b: any) => b.id));
        cursor = page.next_cursor;
      } while (cursor);
      expect(walked).toEqual(whole.items.map((b: any) => b.id));
    }
    // Not JSON; JSON of the right shape but no time and id in it.
    for (const cursor of ['bm90LWpzb24', Buffer.from('["x","y"]').toString('base64url')]) {
      const bad = await request(nodes[0].server.baseUrl, 'GET', `/api/cluster/jobs?cursor=${cursor}`, {
        token: nodes[0].server.token ?? undefined,
      });
      expect([bad.status, bad.body.details]).toEqual([
        400,
        [{ field: 'cursor', message: 'not a cluster jobs cursor' }],
      ]);
    }
  });
});

describe('cluster jobs endpoints in standalone mode', () => {
  const home = makeTempHome();
  let node: ClusterNode;
  beforeAll(async () => (node = nodeOf(await spawnServer(home.home, ['--fake-gpus', '1']))));
  afterAll(async () => {
    await node.server.stop();
    home.remove();
  });

  it('answer empty lists, 409 for a submit, 404 for other nodes; never 500', async () => {
    expect(await node.get('/api/cluster/gpus')).toEqual({ nodes: [] });
    expect(await node.get('/api/cluster/jobs')).toEqual({ items: [], total: 0, next_cursor: null });
    const token = node.server.token ?? undefined;
    const sub = await request(node.server.baseUrl, 'POST', '/api/cluster/jobs/submit', {
      token,
      body: { script: '/x.py', nodes: 1, gpus_per_node: 1 },
    });
    expect(sub.status).toBe(409);
    expect(sub.body.code).toBe('CLUSTER_DISABLED');
    const other = '00000000-0000-0000-0000-000000000000';
    for (const [method, path, body] of [
      ['GET', `/api/cluster/nodes/${other}/jobs`],
      ['POST', `/api/cluster/nodes/${other}/gpus/0/policy`, { disabled: true }],
      ['POST', '/api/cluster/peer_session', { node_id: other }],
      ['GET', '/api/cluster/jobs/cj_0000000000000_00000000'],
    ] as const)
      expect((await request(node.server.baseUrl, method, path, { token, body })).status).toBe(404);
    const bad = await request(node.server.baseUrl, 'POST', '/api/cluster/jobs/submit', {
      token,
      body: { script: '/x.py' },
    });
    expect(bad.status).toBe(400);
  });
});
