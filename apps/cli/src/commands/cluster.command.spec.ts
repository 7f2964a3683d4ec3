import { TrainyardApiError, type BundleDto, type ClusterMemberDto } from '@trainyard/sdk';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { palette } from '../format';
import {
  buildClusterSubmitBody,
  clusterSubmitError,
  memberState,
  noJobText,
  parseNodeSpec,
  renderBundles,
  renderClusterStatus,
  resolveNodeId,
} from './cluster.command';

const member = (node_id: string, hostname = 'gpu-box'): ClusterMemberDto =>
  ({ node_id, hostname, reachable: true, last_seen_at: new Date(0).toISOString() }) as ClusterMemberDto;

describe(buildClusterSubmitBody.name, () => {
  it('--nodes with --gpus-per-node: Trainyard picks; the script and its arguments come after --', () => {
    expect(
      buildClusterSubmitBody(
        {
          nodes: '2',
          gpusPerNode: '8',
          name: 'llm',
          priority: '-1',
          env: ['A=1=2'],
          torchrun: '/venv/torchrun',
        },
        ['train.py', '--epochs', '3'],
        '/home/me/proj',
      ),
    ).toEqual({
      script: 'train.py',
      args: ['--epochs', '3'],
      nodes: 2,
      gpus_per_node: 8,
      name: 'llm',
      priority: -1,
      env: { A: '1=2' },
      torchrun: '/venv/torchrun',
      cwd: '/home/me/proj',
    });
  });

  it('--node in rank order, GPUs from the spec or --gpus-per-node; --cwd relative to the caller', () => {
    const body = buildClusterSubmitBody(
      {
        node: ['1a2b:4', '9f8e'],
        gpusPerNode: '2',
        cwd: 'runs',
        rdzvPort: '29500',
        allowVersionMismatch: true,
      },
      ['/shared/train.py'],
      '/home/me',
    );
    expect(body).toMatchObject({
      participants: [
        { node_id: '1a2b', gpus: 4 },
        { node_id: '9f8e', gpus: 2 },
      ],
      cwd: '/home/me/runs',
      rdzv_port: 29500,
      allow_version_mismatch: true,
    });
    expect(body.nodes).toBeUndefined();
  });

  it.each([
    [{ nodes: '2', gpusPerNode: '1' }, [], /needs the training script after --/],
    [{}, ['train.py'], /--nodes N --gpus-per-node G .* or --node NODE:GPUS/],
    [{ nodes: '2' }, ['train.py'], /--nodes needs --gpus-per-node/],
    [{ nodes: '2', node: ['ab:1'] }, ['train.py'], /give one or the other/],
    [{ node: ['ab'] }, ['train.py'], /say how many GPUs, e.g. --node ab:8/],
    [{ nodes: '0', gpusPerNode: '1' }, ['train.py'], /--nodes must be at least 1/],
  ])('refuses %j %j (exit 2)', (options, argv, message) => {
    let error: unknown;
    try {
      buildClusterSubmitBody(options, argv, '/');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toMatch(message);
    expect((error as CliError).exitCode).toBe(EXIT.invalid);
  });
});

describe(parseNodeSpec.name, () => {
  it('splits at the last colon and reads the GPUs as a whole number', () => {
    expect(parseNodeSpec('abcd:0', undefined)).toEqual({ node: 'abcd', gpus: 0 });
    expect(() => parseNodeSpec('abcd:x', undefined)).toThrow(/must be a whole number/);
    expect(() => parseNodeSpec(':2', undefined)).toThrow(/NODE:GPUS/);
  });
});

describe(resolveNodeId.name, () => {
  const members = [member('1a2b3c4d-0000', 'a'), member('1a2bffff-0000', 'b'), member('9f8e0000-0000', 'b')];

  it('takes a whole id, a unique prefix, or a hostname only one member has', () => {
    expect(resolveNodeId(members, '1a2b3')).toBe('1a2b3c4d-0000');
    expect(resolveNodeId(members, '9F8E')).toBe('9f8e0000-0000');
    expect(resolveNodeId(members, 'a')).toBe('1a2b3c4d-0000');
  });

  it('names the matches of an ambiguous one and the members for an unknown one (exit 2)', () => {
    expect(() => resolveNodeId(members, '1a2b')).toThrow(
      new CliError(
        '"1a2b" matches 2 cluster members (a (1a2b3c4d) 1a2b3c4d-0000, b (1a2bffff) 1a2bffff-0000); give more of the node id (--node)',
      ),
    );
    expect(() => resolveNodeId(members, 'b')).toThrow(/"b" matches 2 cluster members/);
    expect(() => resolveNodeId(members, 'zz')).toThrow(
      /no cluster member's node id starts with "zz".*9f8e0000-0000/,
    );
  });
});

describe(clusterSubmitError.name, () => {
  it("a node's refusal of its rank keeps the node and gets the flag", () => {
    const err = new TrainyardApiError(
      400,
      'VALIDATION_FAILED',
      'gpu-box (9f8e0000) refused rank 1: Invalid job: requested_gpus is 2 but this host has 1 usable GPU',
      [{ field: 'participants[1].gpus', message: 'requested_gpus is 2 but this host has 1 usable GPU' }],
    );
    expect(clusterSubmitError(err)).toEqual(
      new CliError(
        'invalid request: gpu-box (9f8e0000) refused rank 1: requested_gpus is 2 but this host has 1 usable GPU (--node)',
        EXIT.invalid,
      ),
    );
  });

  it('says how to go ahead when the versions differ; leaves other errors to the runner', () => {
    const mismatch = new TrainyardApiError(409, 'VERSION_MISMATCH', 'differ', [
      { field: 'versions.torch', message: 'torch differs: 2.5.0 on a (1); none on b (2)' },
    ]);
    expect((clusterSubmitError(mismatch) as CliError).message).toBe(
      "the nodes' versions differ: torch differs: 2.5.0 on a (1); none on b (2); add --allow-version-mismatch to submit anyway",
    );
    const other = new TrainyardApiError(503, 'NODE_UNREACHABLE', 'no master right now');
    expect(clusterSubmitError(other)).toBe(other);
  });
});

describe('status and list rendering', () => {
  const ctx = { colors: palette(false) } as CliContext;

  it('says how long ago an unreachable member was last seen', () => {
    const now = Date.parse('2026-01-01T00:01:00Z');
    expect(memberState({ reachable: true, last_seen_at: '2026-01-01T00:00:00Z' }, now)).toBe('reachable');
    expect(memberState({ reachable: false, last_seen_at: '2026-01-01T00:00:48Z' }, now)).toBe(
      'unreachable (last seen 12s ago)',
    );
  });

  it('while this node is away from NATS, the others are unknown and this node is reachable to itself; problems are shown', () => {
    const now = Date.parse('2026-01-01T00:01:00Z');
    const seen = '2026-01-01T00:00:48Z';
    const versions = { trainyard: '1', node: '22', torch: null, cuda: null, nccl: null };
    const m = (node_id: string, reachable: boolean, is_self: boolean) =>
      ({
        ...member(node_id, is_self ? 'here' : 'there'),
        reachable,
        last_seen_at: seen,
        is_self,
        is_master: false,
        versions,
        addresses: ['10.0.0.1'],
        gpus: { count: 1, names: [], memory_total_mib: 0 },
      }) as ClusterMemberDto;
    const self = m('aaaaaaaa-1', true, true);
    const text = renderClusterStatus(
      ctx,
      {
        self: {
          cluster: 'lab',
          node: self,
          connection: { state: 'reconnecting', server: null, since: seen, last_error: 'disconnected' },
          replication: { published_seq: 0, journal_seq: 0, consumed_stream_seq: 0 },
          identity_problem: null,
          refused: false,
        },
        members: {
          cluster: 'lab',
          master_node_id: null,
          members: [self, m('bbbbbbbb-2', false, false)],
          problem:
            "this node is not connected to NATS (reconnecting since x): the other members' state is as last seen, unknown now",
        },
        master: { master_node_id: null, is_self_master: false, lease_revision: null, acquired_at: null },
        gpus: null,
      },
      now,
    );
    expect(text).toMatch(/here \(aaaaaaaa\)\s+reachable/);
    expect(text).toMatch(
      /there \(bbbbbbbb\)\s+unknown \(this node is not connected to NATS; last seen 12s ago\)/,
    );
    expect(text).toContain(
      "problem  this node is not connected to NATS (reconnecting since x): the other members' state",
    );
  });

  it('lists each rank as node label: status, cut to fit a terminal only', () => {
    const bundle = {
      id: 'cj_1796000000000_0000000a',
      name: 'llm',
      status: 'running',
      created_at: new Date(0).toISOString(),
      ranks: [
        { node_id: '1a2b3c4d-0000', hostname: 'gpu-box', status: 'running' },
        { node_id: '9f8e0000-0000', hostname: 'gpu-box', status: 'queued' },
      ],
    } as BundleDto;
    const whole = renderBundles(ctx, [bundle], 5000);
    expect(whole.split('\n')[1]).toBe(
      'cj_1796000000000_0000000a  llm   running   5s  gpu-box (1a2b3c4d): running, gpu-box (9f8e0000): queued',
    );
    const narrow = renderBundles({ ...ctx, terminalWidth: 80 } as CliContext, [bundle], 5000);
    expect(narrow.split('\n')[1]).toHaveLength(80);
    expect(narrow.split('\n')[1]).toMatch(/…$/);
  });
});

describe(noJobText.name, () => {
  const rank = { node_rank: 1, node_id: '9f8e0000-0000', hostname: 'gpu-box', queue_id: null };
  const bundle = (state: BundleDto['state'], status: string, failure_reason: string | null = null) =>
    ({ id: 'cj_1796000000000_0000000a', state, failure_reason, ranks: [{ ...rank, status }] }) as BundleDto;
  const text = (b: BundleDto) => noJobText(b, b.ranks[0]);

  it('says "(yet)" only while the bundle is still being submitted', () => {
    expect(text(bundle('submitting', 'not_queued'))).toBe(
      'rank 1 of cj_1796000000000_0000000a has no job on gpu-box (9f8e0000) (yet)',
    );
  });

  it('a rank its node never queued in a rolled-back bundle: never, and why', () => {
    expect(text(bundle('failed', 'not_queued', 'gpu-box (1a2b3c4d) refused rank 0: no GPU'))).toBe(
      'rank 1 of cj_1796000000000_0000000a was never queued on gpu-box (9f8e0000): the submit was rolled ' +
        'back (gpu-box (1a2b3c4d) refused rank 0: no GPU)',
    );
    expect(text(bundle('failed', 'not_queued'))).toBe(
      'rank 1 of cj_1796000000000_0000000a was never queued on gpu-box (9f8e0000)',
    );
  });

  it('a node that did not answer: unknown, not "never"', () => {
    expect(text(bundle('failed', 'unknown', 'x'))).toBe(
      'rank 1 of cj_1796000000000_0000000a has no job on gpu-box (9f8e0000) that this server knows of ' +
        '(its node did not answer)',
    );
  });
});
