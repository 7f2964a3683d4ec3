import {
  enqueueKey,
  foldBundles,
  idleEligibleGpus,
  interfaceFor,
  pickNodes,
  rankStatusOf,
  rollUp,
  torchrunArgv,
  versionMismatches,
  type BundleRecord,
  type RankStatus,
} from './bundles';

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
  const gpu = (
    o: Partial<{
      excluded: boolean;
      disabled: boolean;
      reserved_by: string | null;
      min_priority: number | null;
    }>,
  ) => ({
    excluded: false,
    disabled: false,
    reserved_by: null,
    min_priority: null,
    ...o,
  });
  it('counts only idle eligible GPUs', () => {
    const gpus = [
      gpu({}),
      gpu({ disabled: true }),
      gpu({ excluded: true }),
      gpu({ reserved_by: 'q_1' }),
      gpu({ min_priority: 5 }),
      gpu({ min_priority: -1 }),
    ];
    expect(idleEligibleGpus(gpus, 0)).toBe(2);
    expect(idleEligibleGpus(gpus, 5)).toBe(3);
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

describe('foldBundles (a bundle from its journal entries)', () => {
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
});
