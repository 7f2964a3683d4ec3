import type { ClusterMemberDto } from '@trainyard/sdk';
import { nodeHealth } from './health';

const member = (id: string, versions: Partial<ClusterMemberDto['versions']> = {}, reachable = true) =>
  ({
    node_id: id,
    hostname: id,
    reachable,
    versions: { trainyard: '1.0.0', node: 'v22', torch: '2.4.1', cuda: '12.4', nccl: '2.21.5', ...versions },
  }) as ClusterMemberDto;

describe('nodeHealth', () => {
  it('is ok when every headline version agrees (node.js may differ)', () => {
    const all = [member('a'), member('b', { node: 'v20' }), member('c')];
    for (const m of all) expect(nodeHealth(m, all)).toEqual({ health: 'ok', detail: '' });
  });

  it('is diverged for the odd one out, naming the difference and the majority', () => {
    const all = [member('a'), member('b'), member('c', { torch: '2.5.0', nccl: null })];
    expect(nodeHealth(all[0], all).health).toBe('ok');
    expect(nodeHealth(all[2], all)).toEqual({
      health: 'diverged',
      detail: 'torch 2.5.0 (most nodes: 2.4.1), nccl none (most nodes: 2.21.5)',
    });
  });

  it('is unreachable whatever its versions, and unreachable members do not vote', () => {
    const all = [member('a'), member('b', { torch: '2.5.0' }), member('c', { torch: '2.5.0' }, false)];
    expect(nodeHealth(all[2], all).health).toBe('unreachable');
    // a vs b: a tie among reachable members is no majority.
    expect(nodeHealth(all[0], all).health).toBe('ok');
    expect(nodeHealth(all[1], all).health).toBe('ok');
  });
});
