import {
  capacityList,
  capacityOf,
  checkParticipants,
  enqueueKey,
  neverPlaceable,
  submitTargetProblems,
  BundleBook,
  idleEligibleGpus,
  interfaceFor,
  pickNodes,
  rankStatusOf,
  rollUp,
  torchrunArgv,
  versionMismatches,
  type BundleEntry,
  type BundleRecord,
  type NodeCapacity,
  type RankStatus,
} from './bundles';
import type { DomainError } from '@trainyard/core';

describe('bundle status rollup', () => {
  // failed > running > cancelled > queued > done; done only when every rank is done.
  it.each<[RankStatus[], string]>([
    [['done', 'done', 'done'], 'done'],
    [['done', 'running'], 'running'], // the original said done here
    [['done', 'queued'], 'queued'],
    [['running', 'queued'], 'running'],
    [['failed', 'running'], 'failed'],
    [['failed', 'done', 'cancelled'], 'failed'],
    [['cancelled', 'running'], 'running'],
    [['cancelled', 'queued', 'done'], 'cancelled'],
    [['cancelled', 'done'], 'cancelled'],
    [['queued', 'queued'], 'queued'],
    [['done', 'unknown'], 'unknown'],
    [['running', 'unknown'], 'running'],
    [[], 'unknown'],
  ])('%j → %s', (ranks, want) => expect(rollUp(ranks)).toBe(want));

  it('maps job statuses to rank statuses; a removed queue item was cancelled', () => {
    expect(
      (['queued', 'starting', 'running', 'terminating', 'done', 'failed', 'aborted', null] as const).map(
        rankStatusOf,
      ),
    ).toEqual(['queued', 'running', 'running', 'running', 'done', 'failed', 'cancelled', 'cancelled']);
  });
});

describe('network interface from the member address', () => {
  const interfaces = [
    { name: 'lo', family: 'IPv4' as const, address: '127.0.0.1', cidr: '127.0.0.1/8', internal: true },
    {
      name: 'eth0',
      family: 'IPv4' as const,
      address: '192.168.1.27',
      cidr: '192.168.1.27/24',
      internal: false,
    },
  ];
  it('is the interface carrying the first advertised address', () => {
    expect(interfaceFor({ addresses: ['192.168.1.27'], interfaces })).toBe('eth0');
    expect(interfaceFor({ addresses: ['127.0.0.1', '192.168.1.27'], interfaces })).toBe('lo');
  });
  it('is null when no interface carries it (the submit answers 422)', () => {
    expect(interfaceFor({ addresses: ['10.9.9.9'], interfaces })).toBeNull();
    expect(interfaceFor({ addresses: [], interfaces })).toBeNull();
  });
});

describe('version check', () => {
  const v = (torch: string | null) => ({ trainyard: '1.0.0', node: 'x', torch, cuda: null, nccl: null });
  it('names each differing headline version and the hosts on each side', () => {
    const out = versionMismatches([
      { hostname: 'a', node_id: 'aaaaaaaa-1', versions: v('2.5.0') },
      { hostname: 'b', node_id: 'bbbbbbbb-2', versions: v(null) },
      { hostname: 'c', node_id: 'cccccccc-3', versions: v('2.5.0') },
    ]);
    expect(out).toEqual([
      {
        field: 'versions.torch',
        message: 'torch differs: 2.5.0 on a (aaaaaaaa), c (cccccccc); none on b (bbbbbbbb)',
      },
    ]);
  });
  it('ignores the Node.js version and agrees on equal sets', () => {
    expect(
      versionMismatches([
        { hostname: 'a', node_id: 'a1', versions: { ...v('2.5.0'), node: '22' } },
        { hostname: 'b', node_id: 'b2', versions: { ...v('2.5.0'), node: '24' } },
      ]),
    ).toEqual([]);
  });
});

describe('torchrun argv', () => {
  it('is c10d rendezvous mode with the rank, endpoint, id, workers and is_host', () => {
    expect(
      torchrunArgv({
        torchrun: 'torchrun',
        nnodes: 3,
        nodeRank: 1,
        rdzvEndpoint: '10.0.0.1:29400',
        rdzvId: 'abc',
        nprocPerNode: 2,
        isHost: false,
        script: '/w/train.py',
        args: ['--lr', '0.1'],
      }),
    ).toEqual([
      'torchrun',
      '--nnodes',
      '3',
      '--node-rank',
      '1',
      '--rdzv-backend',
      'c10d',
      '--rdzv-endpoint',
      '10.0.0.1:29400',
      '--rdzv-id',
      'abc',
      '--nproc-per-node',
      '2',
      '--rdzv-conf',
      'is_host=false',
      '/w/train.py',
      '--lr',
      '0.1',
    ]);
  });
});

describe('picking nodes for nodes: N, gpus_per_node: G', () => {
  let nextIndex = 0;
  const gpu = (
    o: Partial<{
      index: number;
      excluded: boolean;
      disabled: boolean;
      reserved_by: string | null;
      min_priority: number | null;
      mig_enabled: boolean;
    }>,
  ) => ({
    index: nextIndex++,
    excluded: false,
    disabled: false,
    reserved_by: null,
    min_priority: null,
    mig_enabled: false,
    ...o,
  });
  beforeEach(() => (nextIndex = 0));
  it('counts only idle eligible GPUs', () => {
    const gpus = [
      gpu({}),
      gpu({ disabled: true }),
      gpu({ excluded: true }),
      gpu({ reserved_by: 'q_1' }),
      gpu({ min_priority: 5 }),
      gpu({ min_priority: -1 }),
      // A rank takes whole GPUs: one in MIG mode only lends its MIG devices (to a gpu_profile job).
      gpu({ mig_enabled: true }),
    ];
    expect(idleEligibleGpus(gpus, 0)).toBe(2);
    expect(idleEligibleGpus(gpus, 5)).toBe(3);
  });
  it('a node that starts nothing now (scheduler paused) has no idle GPU, and keeps its usable ones', () => {
    const node = { node_id: 'a-0000-0000', hostname: 'a' };
    const gpus = [gpu({}), gpu({}), gpu({ mig_enabled: true })];
    expect(capacityOf(node, { gpus }, 0)).toMatchObject({ usable: 2, idle: 2, blocker: null });
    expect(capacityOf(node, { gpus, start_blocker: 'its scheduler is paused' }, 0)).toMatchObject({
      usable: 2,
      idle: 0,
      blocker: 'its scheduler is paused',
    });
  });
  it('GPUs the node holds for a waiting job are not idle for a rank placed after it (same priority or lower)', () => {
    const node = { node_id: 'a-0000-0000', hostname: 'a' };
    const gpus = [gpu({ reserved_by: 'q_run' }), gpu({}), gpu({}), gpu({})];
    const held = { queue_id: 'q_big', priority: 5, gpu_indices: [1, 2] };
    expect(capacityOf(node, { gpus, held }, 5)).toMatchObject({ usable: 4, idle: 1, held });
    expect(capacityOf(node, { gpus, held }, 0)).toMatchObject({ idle: 1, held });
    // A higher-priority rank is placed before the waiting job: the held GPUs are its to take.
    expect(capacityOf(node, { gpus, held }, 6)).toMatchObject({ idle: 3, held: null });
    expect(capacityOf(node, { gpus, held: null }, 0)).toMatchObject({ idle: 3, held: null });
    expect(capacityList([capacityOf(node, { gpus, held }, 0)])).toBe(
      'a (a-0000-0) 1 idle of 4 usable GPUs (GPUs 1,2 held for waiting job q_big, priority 5)',
    );
  });
  it('prefers the coordinator, then the most idle, and refuses when too few fit', () => {
    const c = [
      { node_id: 'a', hostname: 'a', idle: 2 },
      { node_id: 'b', hostname: 'b', idle: 4 },
      { node_id: 'c', hostname: 'c', idle: 1 },
      { node_id: 'd', hostname: 'd', idle: 3 },
    ];
    expect(pickNodes(c, 2, 2, 'a')!.map((x) => x.node_id)).toEqual(['a', 'b']);
    expect(pickNodes(c, 3, 2, 'c')!.map((x) => x.node_id)).toEqual(['b', 'd', 'a']);
    expect(pickNodes(c, 4, 2, 'a')).toBeNull();
  });
});

describe('BundleBook (a bundle from its journal entries)', () => {
  const foldBundles = (entries: BundleEntry[]) => {
    const book = new BundleBook();
    for (const e of entries) book.apply(e);
    return book.all();
  };
  const rank = (r: number) => ({
    node_rank: r,
    node_id: `n${r}`,
    hostname: `h${r}`,
    queue_id: null,
    enqueue_key: enqueueKey('cj_1', r),
    gpus: 1,
    nproc_per_node: 1,
    ifname: 'lo',
    argv: [],
  });
  const bundle = (): BundleRecord => ({
    id: 'cj_1',
    name: null,
    created_at: '2026-01-01T00:00:00Z',
    master_node_id: 'm',
    lease_revision: 1,
    script: 's',
    args: [],
    priority: 0,
    rdzv_endpoint: '127.0.0.1:29400',
    rdzv_id: 'r',
    rdzv_node_id: 'n0',
    ranks: [rank(0), rank(1)],
  });

  it('an intent is submitting, with the ranks enqueued so far', () => {
    const [b] = foldBundles([
      { kind: 'submitting', bundle: bundle() },
      { kind: 'rank', bundle_id: 'cj_1', node_rank: 0, queue_id: 'q_0' },
    ]);
    expect(b.state).toBe('submitting');
    expect(b.bundle.ranks.map((r) => r.queue_id)).toEqual(['q_0', null]);
  });

  it('the first resolution wins: a later failed does not undo submitted, nor submitted a failed', () => {
    const whole = {
      ...bundle(),
      ranks: [
        { ...rank(0), queue_id: 'q_0' },
        { ...rank(1), queue_id: 'q_1' },
      ],
    };
    const [a] = foldBundles([
      { kind: 'submitting', bundle: bundle() },
      { kind: 'submitted', bundle: whole },
      { kind: 'failed', bundle_id: 'cj_1', reason: 'late' },
    ]);
    expect([a.state, a.failure_reason]).toEqual(['submitted', null]);
    const [b] = foldBundles([
      { kind: 'submitting', bundle: bundle() },
      { kind: 'failed', bundle_id: 'cj_1', reason: 'master died' },
      { kind: 'submitted', bundle: whole },
    ]);
    expect([b.state, b.failure_reason]).toEqual(['failed', 'master died']);
  });

  it('a submitted entry without an intent (written before intents existed) is a whole bundle', () => {
    const [b] = foldBundles([{ kind: 'submitted', bundle: bundle() }]);
    expect(b.state).toBe('submitted');
  });

  it('entries applied as they arrive: a state read earlier is a copy the later ones do not change', () => {
    const book = new BundleBook();
    book.apply({ kind: 'submitting', bundle: bundle() });
    const before = book.get('cj_1')!;
    book.apply({ kind: 'failed', bundle_id: 'cj_1', reason: 'refused' });
    book.apply({ kind: 'cancelled', bundle_id: 'cj_1', cancelled_at: '2026-01-01T00:01:00Z' });
    expect([before.state, before.cancelled_at]).toEqual(['submitting', null]);
    expect(book.get('cj_1')).toMatchObject({ state: 'failed', failure_reason: 'refused' });
    expect(book.all().map((b) => b.cancelled_at)).toEqual(['2026-01-01T00:01:00Z']);
    expect(book.get('cj_2')).toBeNull();
  });
});

describe('where a submit says to run: participants, or nodes + gpus_per_node', () => {
  const fields = (req: Parameters<typeof submitTargetProblems>[0]) =>
    submitTargetProblems(req).map((d) => d.field);
  it('takes exactly one of the two ways', () => {
    expect(submitTargetProblems({ participants: [{}] })).toEqual([]);
    expect(submitTargetProblems({ nodes: 2, gpus_per_node: 8 })).toEqual([]);
  });
  it('neither: names both ways and both fields', () => {
    const problems = submitTargetProblems({});
    expect(problems.map((d) => d.field)).toEqual(['participants', 'nodes']);
    for (const d of problems) {
      expect(d.message).toContain('participants');
      expect(d.message).toContain('nodes + gpus_per_node');
    }
  });
  it('half of nodes + gpus_per_node: names the half that is missing', () => {
    expect(submitTargetProblems({ nodes: 2 })).toEqual([
      { field: 'gpus_per_node', message: expect.stringContaining('gpus_per_node is required with nodes') },
    ]);
    expect(submitTargetProblems({ gpus_per_node: 8 })).toEqual([
      { field: 'nodes', message: expect.stringContaining('nodes is required with gpus_per_node') },
    ]);
  });
  it('both ways: names each field that cannot go with participants', () => {
    expect(fields({ participants: [{}], nodes: 2, gpus_per_node: 8 })).toEqual(['nodes', 'gpus_per_node']);
    expect(fields({ participants: [{}], gpus_per_node: 8 })).toEqual(['gpus_per_node']);
    expect(submitTargetProblems({ participants: [{}], nodes: 2 })[0].message).toContain('not both');
  });
});

describe('a request no node set can ever meet', () => {
  const node = (hostname: string, usable: number, idle = usable, reachable = true): NodeCapacity => ({
    node_id: `${hostname}-0000-0000`,
    hostname,
    usable,
    eligible: usable,
    closed: null,
    idle,
    reachable,
    blocker: null,
    held: null,
  });
  const cluster = [node('a', 8, 0), node('b', 4, 4), node('c', 8, -1, false)];
  it('more nodes than the cluster has: nodes', () => {
    expect(neverPlaceable(cluster, 4, 1)).toEqual([
      {
        field: 'nodes',
        message: 'nodes is 4 but the cluster has 3 nodes, so it can never run on this cluster',
      },
    ]);
    expect(neverPlaceable([node('a', 8)], 2, 1)[0].message).toContain('the cluster has 1 node,');
  });
  it('more GPUs than its largest node has: gpus_per_node', () => {
    expect(neverPlaceable(cluster, 1, 9)).toEqual([
      {
        field: 'gpus_per_node',
        message:
          'gpus_per_node is 9 but the largest node has 8 usable GPUs, so it can never run on this cluster',
      },
    ]);
    expect(neverPlaceable([node('a', 1)], 1, 2)[0].message).toContain('has 1 usable GPU,');
  });
  it('too few nodes that large', () => {
    expect(neverPlaceable(cluster, 3, 8)).toEqual([
      {
        field: 'nodes',
        message:
          "nodes is 3 but only 2 of the cluster's 3 nodes have 8 usable GPUs or more, so it can never run on this cluster",
      },
    ]);
    expect(neverPlaceable([node('a', 2), node('b', 1)], 2, 2)[0].message).toContain('only 1 of');
    expect(neverPlaceable([node('a', 2), node('b', 1)], 2, 2)[0].message).toContain(' has 2 usable GPUs');
  });
  it('what could run once GPUs free up, or a node comes back, is not "never"', () => {
    // a is busy and c unreachable now: a conflict that passes (409), not a bad request.
    expect(neverPlaceable(cluster, 2, 8)).toEqual([]);
    expect(neverPlaceable(cluster, 3, 4)).toEqual([]);
  });
  it('named participants: more GPUs than the node has is a 400 on participants[i].gpus; a node that starts nothing now, a 409 on its node_id', () => {
    const paused = { ...node('p', 2), idle: 0, blocker: 'its scheduler is paused' };
    const refusal = (given: Array<{ gpus: number }>, caps: NodeCapacity[]) => {
      try {
        checkParticipants(given, caps);
        return null;
      } catch (err) {
        return err as DomainError;
      }
    };
    expect(refusal([{ gpus: 2 }, { gpus: 1 }], [node('a', 2, 0), node('b', 1)])).toBeNull();
    const never = refusal([{ gpus: 1 }, { gpus: 5 }], [paused, node('a', 2)]);
    // What can never run is said first: resuming the paused node would not help.
    expect([never?.code, never?.details]).toEqual([
      'VALIDATION_FAILED',
      [
        {
          field: 'participants[1].gpus',
          message: 'participants[1].gpus is 5 but a (a-0000-0) has 2 usable GPUs, so it can never run there',
        },
      ],
    ]);
    const notNow = refusal([{ gpus: 1 }], [paused]);
    expect([notNow?.code, notNow?.details]).toEqual([
      'CONFLICT',
      [
        {
          field: 'participants[0].node_id',
          message: 'p (p-0000-0) cannot start its rank now: its scheduler is paused',
        },
      ],
    ]);
  });
  it("a node whose GPU policy closes GPUs to the rank's priority is a 409 naming them, before any rank starts", () => {
    // Before: the bundle was recorded, rank 0 started on another node, then killed when this one refused.
    const gpus = [
      {
        index: 0,
        excluded: false,
        disabled: true,
        reserved_by: null,
        min_priority: null,
        mig_enabled: false,
      },
      { index: 1, excluded: false, disabled: false, reserved_by: null, min_priority: 3, mig_enabled: false },
    ];
    const gated = capacityOf({ node_id: 'g-0000-0000', hostname: 'g' }, { gpus }, 0);
    expect(gated).toMatchObject({
      usable: 2,
      eligible: 0,
      idle: 0,
      closed: 'GPU 0 disabled, GPU 1 requires priority ≥ 3',
    });
    expect(capacityOf({ node_id: 'g-0000-0000', hostname: 'g' }, { gpus }, 3)).toMatchObject({ eligible: 1 });
    let refused: DomainError | null = null;
    try {
      checkParticipants([{ gpus: 2 }, { gpus: 2 }], [node('a', 2), gated]);
    } catch (err) {
      refused = err as DomainError;
    }
    expect([refused?.code, refused?.details]).toEqual([
      'CONFLICT',
      [
        {
          field: 'participants[1].gpus',
          message:
            "participants[1].gpus is 2 but g (g-0000-0) lets this job's priority use 0 GPUs of its 2 " +
            '(GPU 0 disabled, GPU 1 requires priority ≥ 3), until its GPU policy changes',
        },
      ],
    ]);
    expect(capacityList([gated])).toBe(
      'g (g-0000-0) 0 idle of 2 usable GPUs (GPU 0 disabled, GPU 1 requires priority ≥ 3)',
    );
  });
  it('lists each node with what it has, in the singular where it is one', () => {
    expect(capacityList([node('a', 8, 0), node('b', 1, 1), node('c', 8, -1, false), node('d', 2, -1)])).toBe(
      'a (a-0000-0) 0 idle of 8 usable GPUs, b (b-0000-0) 1 idle of 1 usable GPU, c (c-0000-0) unreachable, d (d-0000-0) no answer',
    );
    expect(capacityList([{ ...node('e', 2, 0), blocker: 'its scheduler is paused' }])).toBe(
      'e (e-0000-0) starts nothing now: its scheduler is paused',
    );
  });
});
