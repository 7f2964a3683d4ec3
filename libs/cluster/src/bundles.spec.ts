import {
  idleEligibleGpus,
  interfaceFor,
  pickNodes,
  rankStatusOf,
  rollUp,
  torchrunArgv,
  versionMismatches,
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
      { hostname: 'a', versions: v('2.5.0') },
      { hostname: 'b', versions: v(null) },
      { hostname: 'c', versions: v('2.5.0') },
    ]);
    expect(out).toEqual([{ field: 'versions.torch', message: 'torch differs: 2.5.0 on a, c; none on b' }]);
  });
  it('ignores the Node.js version and agrees on equal sets', () => {
    expect(
      versionMismatches([
        { hostname: 'a', versions: { ...v('2.5.0'), node: '22' } },
        { hostname: 'b', versions: { ...v('2.5.0'), node: '24' } },
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
