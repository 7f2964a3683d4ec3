import { nodeLabels } from './node-label';

const node = (node_id: string, hostname: string) => ({ node_id, hostname });

describe('nodeLabels', () => {
  it('is the hostname alone when no other node has it', () => {
    const labels = nodeLabels([node('aaaaaaaa-1', 'alpha'), node('bbbbbbbb-2', 'beta')]);
    expect([...labels]).toEqual([
      ['aaaaaaaa-1', 'alpha'],
      ['bbbbbbbb-2', 'beta'],
    ]);
  });

  it('adds an 8-character node id prefix to every node sharing a hostname', () => {
    const labels = nodeLabels([
      node('1234abcd-0000-4000-8000-000000000001', 'gpu-box'),
      node('9876fedc-0000-4000-8000-000000000002', 'gpu-box'),
      node('55555555-0000-4000-8000-000000000003', 'alpha'),
    ]);
    expect(labels.get('1234abcd-0000-4000-8000-000000000001')).toBe('gpu-box · 1234abcd');
    expect(labels.get('9876fedc-0000-4000-8000-000000000002')).toBe('gpu-box · 9876fedc');
    expect(labels.get('55555555-0000-4000-8000-000000000003')).toBe('alpha');
  });

  it('lengthens the prefix until those nodes differ', () => {
    const labels = nodeLabels([
      node('1234abcd-0001', 'box'),
      node('1234abcd-0002', 'box'),
      node('ffff0000-9', 'box'),
    ]);
    expect([...labels.values()]).toEqual(['box · 1234abcd-0001', 'box · 1234abcd-0002', 'box · ffff0000-9']);
  });

  it('counts a node listed twice once (its first hostname)', () => {
    const labels = nodeLabels([
      node('aaaaaaaa-1', 'alpha'),
      node('aaaaaaaa-1', 'alpha'),
      node('aaaaaaaa-1', 'old'),
    ]);
    expect([...labels]).toEqual([['aaaaaaaa-1', 'alpha']]);
  });
});
