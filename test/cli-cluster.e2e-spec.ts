import { hostname } from 'node:os';
import { join } from 'node:path';
import { type CliRun, cliEnv, runCli, runCliJson, startCli } from './support/cli';
import { awaitClusterFormed, clusterArgs, nodeOf, workerPid, type ClusterNode } from './support/cluster';
import { natsServer, type NatsServer } from './support/nats-server';
import { freePort } from './support/ports';
import { spawnServer, type SpawnedServer } from './support/spawned-server';
import { makeTempHome } from './support/temp-home';
import { waitFor } from './support/wait';

// The built CLI as a user runs it (`npx nest build cli`), against built servers (`npx nest build server`).
const TORCHRUN = join(__dirname, 'fixtures', 'bin', 'torchrun');
const BUNDLE_ID = /^cj_\d{13}_[0-9a-f]{8}$/;

jest.setTimeout(120_000);

/** Runs the CLI against `server`, in `cwd` (its HOME too). */
function cli(server: SpawnedServer, cwd: string, args: string[]): Promise<CliRun> {
  return runCli(args, cliEnv(server, cwd), cwd);
}

/** `cluster submit` of a bundle over `nodes` nodes with `gpus` GPUs each (the rest follows). */
const across = (nodes: number, gpus: number) => [
  'cluster',
  'submit',
  '--nodes',
  String(nodes),
  '--gpus-per-node',
  String(gpus),
];

/**
 * `trainyard cluster ...` on real parts: a real `nats-server -js` (with credentials), two built
 * servers with one fake GPU each, the fake torchrun, and the CLI run as a process.
 */
describe('trainyard cluster (e2e: nats-server + 2 spawned servers + the CLI)', () => {
  const homes = [0, 1].map(() => makeTempHome('trainyard-cli-cluster-'));
  const store = makeTempHome('trainyard-cli-cluster-nats-');
  const work = makeTempHome('trainyard-cli-cluster-cwd-');
  let nats: NatsServer;
  const nodes: ClusterNode[] = [];
  let ids: string[] = [];
  const label = (i: number) => `${hostname()} (${ids[i].slice(0, 8)})`;
  /** The CLI against node 0. */
  const run = (...args: string[]) => cli(nodes[0].server, work.home, args);
  const json = (...args: string[]) => runCliJson(args, cliEnv(nodes[0].server, work.home), work.home);
  /** Each rank's job as its own node has it. */
  const rankJobs = (bundle: any) =>
    Promise.all(
      bundle.ranks.map(async (r: any) => nodes[ids.indexOf(r.node_id)].get(`/api/jobs/${r.queue_id}`)),
    );
  /** Until no GPU of the cluster is reserved (the jobs of earlier tests have let go of them). */
  const gpusIdle = () =>
    waitFor(async () => {
      const view = await nodes[0].get('/api/cluster/gpus');
      return view.nodes.every((n: any) => n.gpus?.gpus.every((g: any) => g.reserved_by === null));
    }, 'every GPU idle');
  const ranksIn = (bundle: any, statuses: string[], what: string) =>
    waitFor(
      async () => (await rankJobs(bundle)).every((j: any) => statuses.includes(j.status)),
      what,
      30_000,
    );

  /** Node `i`'s server, started (again) in its home. */
  const startNode = async (i: number) =>
    nodeOf(
      await spawnServer(homes[i].home, clusterArgs('clitest', nats), {
        ...nats.clientEnv,
        // Rank 1 of `fails-at-once` goes out 3 s after rank 0, which has failed by then.
        TRAINYARD_TEST_FANOUT_PAUSE: 'fails-at-once=3000,cli-rollback=3000',
      }),
    );

  beforeAll(async () => {
    nats = natsServer(await freePort(), join(store.home, 'js'));
    await nats.start();
    // One at a time: two cold starts at once can miss the banner timeout on a loaded machine.
    for (const i of homes.keys()) nodes.push(await startNode(i));
    ids = await awaitClusterFormed(nodes);
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.server.stop('SIGKILL')));
    await nats?.stop();
    for (const h of [...homes, store, work]) h.remove();
  });

  it('status: this node, NATS connected, one master, both members reachable with their GPUs', async () => {
    const status = await run('cluster', 'status');
    expect(status).toMatchObject({ code: 0, stderr: '' });
    const out = status.stdout;
    expect(out).toMatch(/^cluster +clitest$/m);
    expect(out).toMatch(new RegExp(`^node +${escape(label(0))} +${ids[0]}$`, 'm'));
    expect(out).toMatch(/^nats +connected to 127\.0\.0\.1:\d+, for \S+$/m);
    expect(out).toMatch(/^members +2 \(2 reachable\)$/m);
    const rows = out.split('\n').filter((l) => ids.some((_, i) => l.startsWith(label(i))));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(/ reachable .* 1\/1 idle /);
    expect(rows.filter((r) => / master/.test(r))).toHaveLength(1);
    expect(rows.find((r) => r.startsWith(label(0)))).toContain('this node');
    // The master line names the master the table marks.
    const masterRow = rows.find((r) => / master/.test(r))!;
    expect(out).toMatch(new RegExp(`^master +${escape(masterRow.slice(0, label(0).length))}`, 'm'));

    const data = await json('cluster', 'status');
    expect(data.self).toMatchObject({ cluster: 'clitest', node: { node_id: ids[0] } });
    expect(data.members.members.map((m: any) => m.node_id).sort()).toEqual([...ids].sort());
    expect(data.master.master_node_id).toBe(data.members.master_node_id);
    expect(data.gpus.nodes).toHaveLength(2);
  });

  it('submit across both nodes prints the bundle and its ranks; jobs lists it; cancel ends every rank', async () => {
    const submitted = await run(
      ...across(2, 1),
      '--torchrun',
      TORCHRUN,
      '--name',
      'cli-fanout',
      '--env',
      'TORCHRUN_SLEEP=60',
      '--',
      '/opt/train.py',
      '--epochs',
      '1',
    );
    expect(submitted).toMatchObject({ code: 0, stderr: '' });
    const [id, header, ...rankLines] = submitted.stdout.trimEnd().split('\n');
    expect(id).toMatch(BUNDLE_ID);
    expect(header).toMatch(/^RANK +NODE +STATUS +GPUS +NPROC +IFNAME +JOB$/);
    expect(rankLines).toHaveLength(2);
    // This node is preferred as rank 0 (it hosts the rendezvous).
    expect(rankLines[0]).toMatch(new RegExp(`^ +0 +${escape(label(0))} +(queued|running) +1 +1 +lo +q_`));
    expect(rankLines[1]).toMatch(new RegExp(`^ +1 +${escape(label(1))} +(queued|running) +1 +1 +lo +q_`));

    const bundle = await json('cluster', 'jobs', id);
    expect(bundle).toMatchObject({
      id,
      name: 'cli-fanout',
      script: '/opt/train.py',
      args: ['--epochs', '1'],
    });
    await ranksIn(bundle, ['running'], 'both ranks running');
    // Both ranks run torchrun in the caller's directory, on their own node.
    for (const job of await rankJobs(bundle)) {
      expect(job.cwd).toBe(work.home);
      expect(job.job_params.argv[0]).toBe(TORCHRUN);
    }

    const list = await run('cluster', 'jobs');
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toMatch(/^ID +NAME +STATUS +AGE +RANKS$/m);
    expect(list.stdout).toMatch(
      new RegExp(
        `^${id} +cli-fanout +running +\\S+ +${escape(label(0))}: running, ${escape(label(1))}: running$`,
        'm',
      ),
    );
    // The other node lists the same bundle.
    const elsewhere = await cli(nodes[1].server, work.home, ['cluster', 'jobs']);
    expect(elsewhere.stdout).toContain(id);

    // `cluster job` takes the 8 hex digits too.
    const detail = await run('cluster', 'job', id.slice(-8));
    expect(detail).toMatchObject({ code: 0, stderr: '' });
    expect(detail.stdout).toMatch(new RegExp(`^id +${id}$`, 'm'));
    expect(detail.stdout).toMatch(/^status +running$/m);
    expect(detail.stdout).toMatch(/^script +\/opt\/train\.py --epochs 1$/m);
    expect(detail.stdout).toMatch(
      new RegExp(`^rendezvous +127\\.0\\.0\\.1:29400 on ${escape(label(0))}`, 'm'),
    );

    const cancelled = await run('cluster', 'cancel', id);
    expect(cancelled).toMatchObject({ code: 0, stderr: '' });
    expect(cancelled.stdout).toMatch(new RegExp(`^${id}: cancel sent; status \\w+$`, 'm'));
    await ranksIn(bundle, ['aborted'], 'both ranks aborted');
    await waitFor(
      async () => (await json('cluster', 'jobs', id)).status === 'cancelled',
      'cancelled',
      20_000,
    );
    const after = await run('cluster', 'jobs');
    expect(after.stdout).toMatch(
      new RegExp(
        `^${id} +cli-fanout +cancelled +\\S+ +${escape(label(0))}: cancelled, ${escape(label(1))}: cancelled$`,
        'm',
      ),
    );
  });

  it('submit --node takes node id prefixes in rank order; a hostname both share is ambiguous', async () => {
    const bundle = await json(
      'cluster',
      'submit',
      '--node',
      `${ids[1].slice(0, 8)}:1`,
      '--node',
      `${ids[0].slice(0, 6)}:1`,
      '--torchrun',
      TORCHRUN,
      '--env',
      'TORCHRUN_SLEEP=60',
      '--',
      'train.py',
    );
    expect(bundle.ranks.map((r: any) => r.node_id)).toEqual([ids[1], ids[0]]);
    expect(bundle.warnings).toEqual([]);
    await ranksIn(bundle, ['running'], 'both ranks running');
    const cancelled = await json('cluster', 'cancel', bundle.id.slice(-8));
    expect(cancelled).toMatchObject({ id: bundle.id, warnings: [], cancelled_at: expect.any(String) });
    await ranksIn(bundle, ['aborted'], 'both ranks aborted');

    const ambiguous = await run('cluster', 'submit', '--node', `${hostname()}:1`, '--', 'train.py');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(`"${hostname()}" matches 2 cluster members`);
    for (const nodeId of ids) expect(ambiguous.stderr).toContain(nodeId);
    const unknown = await run('cluster', 'submit', '--node', 'zz:1', '--', 'train.py');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^trainyard: --node zz: no cluster member's node id starts with "zz"/);
  });

  it('a refused rank: the rolled-back bundle shows that rank not queued; more nodes than the cluster has names --nodes', async () => {
    // Node 1's GPU admits only priority ≥ 5 from the moment rank 0 was queued on node 0 (the fan-out
    // pauses there, test-only): it refuses rank 1.
    const refusing = run(
      'cluster',
      'submit',
      '--node',
      `${ids[0]}:1`,
      '--node',
      `${ids[1]}:1`,
      '--torchrun',
      TORCHRUN,
      '--name',
      'cli-rollback',
      '--env',
      'TORCHRUN_SLEEP=60',
      '--',
      'train.py',
    );
    await waitFor(
      async () =>
        (await nodes[0].get('/api/jobs?limit=1000')).items.some(
          (j: any) => j.name === 'cli-rollback rank 0/2',
        ),
      'rank 0 queued',
    );
    await nodes[1].post('/api/gpus/0/policy', { min_priority: 5 });
    const refused = await refusing.finally(() => nodes[1].post('/api/gpus/0/policy', { min_priority: null }));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${label(1)} refused rank 1`);
    const { items } = await json('cluster', 'jobs');
    const id = items.find((b: any) => b.name === 'cli-rollback').id;
    const list = await run('cluster', 'jobs');
    expect(list.stdout).toMatch(
      new RegExp(
        `^${id} +cli-rollback +failed +\\S+ +${escape(label(0))}: cancelled, ${escape(label(1))}: not queued$`,
        'm',
      ),
    );
    const detail = await run('cluster', 'job', id);
    expect(detail.stdout).toMatch(/^status +failed \(submit failed\)$/m);
    expect(detail.stdout).toMatch(new RegExp(`^ +1 +${escape(label(1))} +not queued +1 +1 +lo +-$`, 'm'));

    // Rank 1 was never queued and never will be: said so, with why (not "no job there (yet)").
    const { failure_reason } = items.find((b: any) => b.id === id);
    expect(failure_reason).toContain('refused rank 1');
    const never = await run('cluster', 'tail', id, '--rank', '1');
    expect(never).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `trainyard: rank 1 of ${id} was never queued on ${label(1)}: the submit was rolled back ` +
        `(${failure_reason}): nothing to show\n`,
    });

    // More nodes than the cluster has: nothing that frees up makes it fit; exit 2 with the flag.
    const tooMany = await run(...across(3, 1), '--torchrun', TORCHRUN, '--', 'train.py');
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toBe(
      'trainyard: invalid request: nodes is 3 but the cluster has 2 nodes, so it can never run on this cluster (--nodes)\n',
    );
  });

  it('submit says so and exits 1 when a rank has failed by the time it answers (no such torchrun)', async () => {
    await gpusIdle();
    // Rank 0 fails at once (exit 127); rank 1 goes out 3 s later (TRAINYARD_TEST_FANOUT_PAUSE).
    const failed = await run(
      ...across(2, 1),
      '--torchrun',
      '/nonexistent/torchrun',
      '--name',
      'fails-at-once',
      '--',
      'train.py',
    );
    const [id, header, ...rankLines] = failed.stdout.trimEnd().split('\n');
    expect(id).toMatch(BUNDLE_ID);
    expect(header).toMatch(/^RANK +NODE +STATUS/);
    expect(rankLines[0]).toMatch(/^ +0 +\S+ \([0-9a-f]{8}\) +failed /);
    const { ranks } = await json('cluster', 'jobs', id);
    const [rank0] = await rankJobs({ ranks: [ranks[0]] });
    expect(rank0).toMatchObject({ status: 'failed', exit_code: 127 });
    expect(rank0.error).toContain('/nonexistent/torchrun');
    expect(failed.code).toBe(1);
    // Each failed rank with its job's error (rank 1 too, when it has failed by then as well).
    const failedRank = (r: any) =>
      `rank ${r.node_rank} \\(${r.queue_id} on ${escape(label(ids.indexOf(r.node_id)))}\\) failed: ${escape(rank0.error)}`;
    expect(failed.stderr).toMatch(
      new RegExp(
        `^trainyard: ${id} has failed: ${failedRank(ranks[0])}(, ${failedRank(ranks[1])})?; ` +
          `trainyard cluster tail ${id} --rank 0 shows its output\n$`,
      ),
    );
    await ranksIn({ ranks }, ['failed'], 'both ranks failed');
    // `wait` takes a cluster job: it ended, and exits with its failed ranks' code, as for a job
    // (a trial: `no job or array id starts or ends with "cj_…"`, exit 5).
    const waited = await run('wait', id);
    expect(waited).toMatchObject({ code: 127, stderr: '' });
    expect(waited.stdout).toMatch(
      new RegExp(
        `^${id} 0/2 ranks done; not done: rank 0 on ${escape(label(ids.indexOf(ranks[0].node_id)))}: ${ranks[0].queue_id} failed \\(exit 127\\), rank 1 `,
      ),
    );
  });

  it('tail follows a rank’s output from the other node until its job ends, and exits with its code', async () => {
    const bundle = await json(
      ...across(2, 1),
      '--torchrun',
      TORCHRUN,
      '--env',
      'TORCHRUN_LINES=4',
      '--env',
      'TORCHRUN_LINE_DELAY=0.4',
      '--',
      'train.py',
    );
    const remote = bundle.ranks.find((r: any) => r.node_id === ids[1]);
    await ranksIn(bundle, ['running', 'done'], 'both ranks started');
    // `wait` for the cluster job (by a prefix of its id) while its ranks run: it returns once both are done.
    const waiting = startCli(
      ['--json', 'wait', bundle.id.slice(0, -2)],
      cliEnv(nodes[0].server, work.home),
      work.home,
    );
    const tailed = await run('cluster', 'tail', bundle.id.slice(-8), '--rank', String(remote.node_rank));
    expect(tailed).toMatchObject({ code: 0, stderr: '' });
    // That rank's own job, read through node 0: its first line names it, then every line once.
    const lines = tailed.stdout.split(/\r?\n/).filter(Boolean);
    expect(lines).toEqual([
      `torchrun in ${remote.queue_id}`,
      ...[1, 2, 3, 4].map((i) => `rank log line ${i}`),
    ]);
    expect((await rankJobs(bundle))[bundle.ranks.indexOf(remote)].status).toBe('done');
    const waited = await waiting.exited;
    expect(waited).toMatchObject({ code: 0, stderr: '' });
    const rankEnd = (r: any) => ({
      node_rank: r.node_rank,
      node_id: r.node_id,
      queue_id: r.queue_id,
      status: 'done',
      exit_code: 0,
    });
    expect(JSON.parse(waited.stdout)).toEqual([
      { target: bundle.id, jobs: bundle.ranks.map((r: any) => expect.objectContaining(rankEnd(r))) },
    ]);
    expect((await rankJobs(bundle)).map((j: any) => j.status)).toEqual(['done', 'done']);
    // From its last lines (`-n`), as `job tail -n` does; `-n 0` shows nothing of an ended job.
    const rankArg = ['--rank', String(remote.node_rank)];
    const lastTwo = await run('cluster', 'tail', bundle.id, ...rankArg, '-n', '2');
    expect(lastTwo).toMatchObject({ code: 0, stderr: '' });
    expect(lastTwo.stdout.split(/\r?\n/).filter(Boolean)).toEqual(['rank log line 3', 'rank log line 4']);
    expect(await run('cluster', 'tail', bundle.id, ...rankArg, '--lines', '0')).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    const negative = await run('cluster', 'tail', bundle.id, '-n', '-1');
    expect(negative).toMatchObject({ code: 2, stdout: '' });
    expect(negative.stderr).toMatch(/^trainyard: --lines must be at least 0, got -1/);

    const noRank = await run('cluster', 'tail', bundle.id, '--rank', '7');
    expect(noRank).toMatchObject({ code: 2, stdout: '' });
    expect(noRank.stderr).toBe(`trainyard: ${bundle.id} has no rank 7 (its ranks: 0, 1)\n`);
  });

  it('an unknown bundle id exits 5 with a clear message; usage mistakes exit 2', async () => {
    const whole = await run('cluster', 'jobs', 'cj_1000000000000_deadbeef');
    expect(whole).toMatchObject({ code: 5, stdout: '' });
    expect(whole.stderr).toBe('trainyard: no cluster job cj_1000000000000_deadbeef\n');
    const waitWhole = await run('wait', 'cj_1000000000000_deadbeef');
    expect(waitWhole).toEqual({
      code: 5,
      stdout: '',
      stderr: 'trainyard: no cluster job cj_1000000000000_deadbeef (trainyard cluster jobs lists them)\n',
    });
    const waitPart = await run('wait', 'cj_1000');
    expect(waitPart).toEqual({
      code: 5,
      stdout: '',
      stderr:
        'trainyard: no cluster job id starts or ends with "cj_1000" (trainyard cluster jobs lists them)\n',
    });
    const part = await run('cluster', 'cancel', 'nosuchid');
    expect(part).toMatchObject({ code: 5, stdout: '' });
    expect(part.stderr).toBe(
      'trainyard: no cluster job id starts or ends with "nosuchid" (trainyard cluster jobs lists them)\n',
    );

    const noScript = await run('cluster', 'submit', '--nodes', '2', '--gpus-per-node', '1');
    expect(noScript.code).toBe(2);
    expect(noScript.stderr).toContain('cluster submit needs the training script after --');
    const unplaced = await run('cluster', 'submit', '--', 'train.py');
    expect(unplaced.code).toBe(2);
    expect(unplaced.stderr).toContain('--nodes N --gpus-per-node G');
    // Options of the script before `--`: where the `--` goes.
    const dash = await run(...across(2, 1), 'train.py', '--lr', '3');
    expect(dash.code).toBe(2);
    expect(dash.stderr).toContain(
      'put the script after --: trainyard cluster submit --nodes 2 --gpus-per-node 1 -- train.py --lr 3',
    );
    // More GPUs than any node has: it can never run (not a conflict to wait out), with the flag.
    const tooMany = await run(...across(2, 2), '--torchrun', TORCHRUN, '--', 'train.py');
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toBe(
      'trainyard: invalid request: gpus_per_node is 2 but the largest node has 1 usable GPU, so it can never run on this cluster (--gpus-per-node)\n',
    );
    // More GPUs than a named node has: refused before anything is queued, naming the node and the flag.
    const refused = await run(
      'cluster',
      'submit',
      '--node',
      `${ids[0]}:1`,
      '--node',
      `${ids[1]}:2`,
      '--torchrun',
      TORCHRUN,
      '--',
      'train.py',
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `trainyard: invalid request: participants[1].gpus is 2 but ${label(1)} has 1 usable GPU, so it can never run there (--node)\n`,
    );
  });

  it('a plain submit asking more GPUs than this host has points to cluster submit', async () => {
    const refused = await run('submit', '--gpus', '2', '--', 'true');
    expect(refused.code).toBe(2);
    const [error, hint, ...rest] = refused.stderr.split('\n');
    expect(error).toBe(
      'trainyard: invalid request: requested_gpus is 2 but this host has 1 usable GPU (--gpus)',
    );
    expect(hint).toContain('this server is a node of cluster "clitest"');
    expect(hint).toContain('trainyard cluster submit');
    expect(rest).toEqual(['']);
  });

  /**
   * A 2-node bundle whose ranks print `lines` lines 0.4 s apart, and `cluster tail` (through node 0)
   * of the rank on node 1, under way.
   */
  async function tailRemoteRank(lines: number) {
    const bundle = await json(
      ...across(2, 1),
      '--torchrun',
      TORCHRUN,
      '--env',
      `TORCHRUN_LINES=${lines}`,
      '--env',
      'TORCHRUN_LINE_DELAY=0.4',
      '--',
      'train.py',
    );
    const remote = bundle.ranks.find((r: any) => r.node_id === ids[1]);
    await ranksIn(bundle, ['running'], 'both ranks running');
    const tail = startCli(
      ['cluster', 'tail', bundle.id, '--rank', String(remote.node_rank)],
      cliEnv(nodes[0].server, work.home),
      work.home,
    );
    await waitFor(() => /rank log line 2\r?\n/.test(tail.stdout()) || undefined, 'the tail under way');
    return { bundle, remote, tail };
  }

  /**
   * The tail from tailRemoteRank ends 0 having said once that node 1 went (`gone`) and once that it is
   * back, with every one of the rank's `lines` lines once, in order, across the outage.
   */
  async function expectTailAcrossOutage(
    tail: ReturnType<typeof startCli>,
    remote: any,
    gone: RegExp,
    lines: number,
  ): Promise<void> {
    const done = await tail.exited;
    expect(done.code).toBe(0);
    expect(done.stderr.split('\n')).toEqual([
      expect.stringMatching(gone),
      `trainyard: node ${label(1)} is back; rank ${remote.node_rank}'s output goes on`,
      '',
    ]);
    expect(done.stdout.split(/\r?\n/).filter(Boolean)).toEqual([
      `torchrun in ${remote.queue_id}`,
      ...Array.from({ length: lines }, (_, i) => `rank log line ${i + 1}`),
    ]);
  }

  it('tail says on stderr when a rank’s node goes away and when it is back; its output goes on, every line once', async () => {
    const LINES = 50;
    const { bundle, remote, tail } = await tailRemoteRank(LINES);
    // `wait` for the cluster job meanwhile, by the 8 hex digits `cluster jobs` shows (before: exit 5,
    // "no job or array id…"): it says so too (before: nothing, for as long as the outage lasted).
    const waiting = startCli(['wait', bundle.id.slice(-8)], cliEnv(nodes[0].server, work.home), work.home);
    // The node's server goes (its job runs on, as jobs outlive their server), then comes back.
    await nodes[1].server.stop('SIGKILL');
    const gone = new RegExp(
      `^trainyard: node ${escape(label(1))} of rank ${remote.node_rank} is unreachable \\(.+\\); waiting for it, its output goes on when it answers \\(Ctrl-C to stop\\)$`,
      'm',
    );
    const waitNote = (what: string) =>
      `trainyard: node ${label(1)} of ${bundle.id} rank ${remote.node_rank} ${what}; still waiting…`;
    const waitGone = waitNote("does not answer: that rank's end is unknown until it does");
    // Before: nothing was said (the reads were repeated silently while the node was away).
    await waitFor(
      () => (gone.test(tail.stderr()) && waiting.stderr().includes(waitGone)) || undefined,
      'the notices that the node is unreachable',
      20_000,
    );
    nodes[1] = await startNode(1);
    await expectTailAcrossOutage(tail, remote, gone, LINES);
    const waited = await waiting.exited;
    expect(waited).toMatchObject({ code: 0, stdout: `${bundle.id} 2/2 ranks done\n` });
    expect(waited.stderr).toBe(`${waitGone}\n${waitNote('answers again')}\n`);
    await ranksIn(bundle, ['done'], 'both ranks done');
    // The next test picks nodes by the member table: node 1 listed reachable again.
    await awaitClusterFormed(nodes);
  });

  it('tail says within seconds that a rank’s node froze (its heartbeats stopped), not after its read times out', async () => {
    const LINES = 40;
    const { bundle, remote, tail } = await tailRemoteRank(LINES);
    // Node 1's server stops answering (a stalled VM, a debugger) while a read waits on it; its job
    // runs on. The read would only fail after its 20 s timeout; the member table knows in ~3 s.
    const pid = workerPid(nodes[1].server);
    process.kill(pid, 'SIGSTOP');
    const gone = new RegExp(
      `^trainyard: node ${escape(label(1))} of rank ${remote.node_rank} is unreachable \\(last seen \\S+ ago\\); waiting for it, its output goes on when it answers \\(Ctrl-C to stop\\)$`,
      'm',
    );
    try {
      await waitFor(() => gone.test(tail.stderr()) || undefined, 'the notice that the node froze', 10_000);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await expectTailAcrossOutage(tail, remote, gone, LINES);
    await ranksIn(bundle, ['done'], 'both ranks done');
    await awaitClusterFormed(nodes);
  });

  // Last: node 1 is killed.
  it('a node gone: status says unreachable; cancel warns about its rank and still exits 0', async () => {
    const bundle = await json(
      ...across(2, 1),
      '--torchrun',
      TORCHRUN,
      '--env',
      'TORCHRUN_SLEEP=20',
      '--',
      'train.py',
    );
    await ranksIn(bundle, ['running'], 'both ranks running');
    await nodes[1].server.stop('SIGKILL');
    await waitFor(
      async () => (await nodes[0].get('/api/cluster/members')).members.some((m: any) => !m.reachable),
      'node 1 unreachable',
      20_000,
    );
    const status = await run('cluster', 'status');
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toMatch(/^members +2 \(1 reachable\)$/m);
    expect(status.stdout).toMatch(
      new RegExp(`^${escape(label(1))} +unreachable \\(last seen \\S+ ago\\) .* \\?/1 `, 'm'),
    );

    const cancelled = await run('cluster', 'cancel', bundle.id);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toMatch(new RegExp(`^${bundle.id}: cancel sent; status \\w+$`, 'm'));
    const rank1 = bundle.ranks.find((r: any) => r.node_id === ids[1]);
    expect(cancelled.stderr).toMatch(
      new RegExp(
        `^trainyard: warning: rank ${rank1.node_rank} \\(${rank1.queue_id} on ${escape(label(1))}\\) was not cancelled: .*\n$`,
      ),
    );
  });

  it('a wrong NATS password is in the server log (once, not once a try), as status shows it', async () => {
    const home = makeTempHome('trainyard-cli-cluster-badpass-');
    const server = await spawnServer(home.home, clusterArgs('clitest', nats), {
      TRAINYARD_NATS_PASSWORD: 'not-the-password',
    });
    try {
      const line = `cannot join cluster clitest through ${escape(nats.url)}: .*Authorization Violation.*; retrying every 1 s`;
      const logged = () => server.output().match(new RegExp(line, 'g')) ?? [];
      await waitFor(() => logged().length > 0 || undefined, 'the refusal in the log', 20_000);
      const status = await cli(server, work.home, ['cluster', 'status']);
      expect(status.stdout).toMatch(/Authorization Violation/);
      // Retried every second, logged once while the reason stays the same.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(logged()).toHaveLength(1);
    } finally {
      await server.stop('SIGKILL');
      home.remove();
    }
  });
});

describe('trainyard cluster on a standalone server', () => {
  const home = makeTempHome('trainyard-cli-standalone-');
  let server: SpawnedServer;
  const run = (...args: string[]) => cli(server, home.home, args);

  beforeAll(async () => (server = await spawnServer(home.home, ['--fake-gpus', '1'])));
  afterAll(async () => {
    await server.stop();
    home.remove();
  });

  it('status says standalone and exits 0; no jobs; submit says it needs cluster mode', async () => {
    expect(await run('cluster', 'status')).toEqual({
      code: 0,
      stdout: 'standalone (not in a cluster)\n',
      stderr: '',
    });
    const status = await run('--json', 'cluster', 'status');
    expect(JSON.parse(status.stdout)).toMatchObject({ self: null, members: { cluster: null, members: [] } });
    // "none" is said to the person (stderr); the list itself (stdout) is empty.
    expect(await run('cluster', 'jobs')).toEqual({
      code: 0,
      stdout: '',
      stderr: 'trainyard: no cluster jobs\n',
    });
    const submit = await run(...across(1, 1), '--', 'train.py');
    expect(submit.code).toBe(1);
    expect(submit.stderr).toContain('this server is standalone (not in a cluster)');
    // No cluster: a plain submit's refusal has no hint.
    const refused = await run('submit', '--gpus', '2', '--', 'true');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'trainyard: invalid request: requested_gpus is 2 but this host has 1 usable GPU (--gpus)\n',
    );
  });
});

/** `text` as a literal in a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
