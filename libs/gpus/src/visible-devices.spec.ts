import { parseVisibleDevices } from './visible-devices';

const GPUS = [
  { index: 0, uuid: 'GPU-0a1b2c3d-0000-4000-8000-000000000001' },
  { index: 1, uuid: 'GPU-0a1b2c3d-0000-4000-8000-000000000002' },
  { index: 2, uuid: 'GPU-6b1f2c1e-51a4-8d6e-3b3a-0c9a2f1d7e11' },
  { index: 3, uuid: null },
];

describe(parseVisibleDevices.name, () => {
  it.each<[string, string | undefined, number[], RegExp[]]>([
    ['unset: every GPU schedulable', undefined, [], []],
    ['empty: no GPU schedulable', '', [0, 1, 2, 3], [/set but empty/]],
    ['blank counts as empty', '  ', [0, 1, 2, 3], [/set but empty/]],
    ['all indices', '0,1,2,3', [], []],
    ['some indices', '1,3', [0, 2], []],
    ['order does not matter', '3,1', [0, 2], []],
    ['leading zeros read numerically', '02', [0, 1, 3], []],
    ['spaces around entries', ' 1 , 2 ', [0, 3], []],
    ['full UUID', 'GPU-6b1f2c1e-51a4-8d6e-3b3a-0c9a2f1d7e11', [0, 1, 3], []],
    ['UUID in other case', 'gpu-6B1F2C1E-51A4-8D6E-3B3A-0C9A2F1D7E11', [0, 1, 3], []],
    ['unique UUID prefix', 'GPU-6b1f', [0, 1, 3], []],
    ['indices and UUIDs mixed', '0,GPU-0a1b2c3d-0000-4000-8000-000000000002', [2, 3], []],
    [
      'ambiguous UUID prefix stops there',
      '2,GPU-0a1b,0',
      [0, 1, 3],
      [/"GPU-0a1b" is ambiguous: it prefixes the UUIDs of GPUs 0, 1\. CUDA stops .*\(0\) are ignored too/],
    ],
    [
      'unknown index stops there, later entries ignored',
      '1,7,2',
      [0, 2, 3],
      [/no GPU has index 7\. CUDA stops reading at the first invalid entry; the entries after it \(2\)/],
    ],
    ['-1 hides everything', '-1', [0, 1, 2, 3], [/"-1" is neither a GPU index nor a GPU UUID\. CUDA stops/]],
    [
      'unknown UUID stops there',
      'GPU-ffff,0',
      [0, 1, 2, 3],
      [/no GPU has a UUID starting with "GPU-ffff"\. CUDA stops .*\(0\) are ignored too/],
    ],
    ['bare "GPU-" is no UUID', 'GPU-', [0, 1, 2, 3], [/"GPU-" is neither/]],
    [
      'garbage',
      'all',
      [0, 1, 2, 3],
      [/"all" is neither a GPU index nor a GPU UUID\. CUDA stops reading[^;]*$/],
    ],
    ['empty entry stops there', '0,,1', [1, 2, 3], [/empty entry\. CUDA stops .*\(1\) are ignored too/]],
    ['trailing comma only ends the list', '0,1,', [2, 3], [/empty entry\. CUDA stops reading[^;]*$/]],
    ['duplicate is harmless', '1,1', [0, 2, 3], [/"1" names GPU 1 again/]],
    ['same GPU by index and UUID', '2,GPU-6b1f', [0, 1, 3], [/"GPU-6b1f" names GPU 2 again/]],
    [
      'MIG instance is skipped without stopping',
      'MIG-4f3e2d1c-0000-4000-8000-000000000009,1',
      [0, 2, 3],
      [/MIG instance; the scheduler only places whole GPUs/],
    ],
  ])('%s: %j', (_label, value, excluded, warnings) => {
    const sut = parseVisibleDevices(value, GPUS);

    expect([...sut.excluded].sort((a, b) => a - b)).toEqual(excluded);
    expect(sut.warnings).toHaveLength(warnings.length);
    warnings.forEach((pattern, i) => expect(sut.warnings[i]).toMatch(pattern));
  });

  it('excludes nothing and warns nothing without GPUs when unset', () => {
    expect(parseVisibleDevices(undefined, [])).toEqual({ excluded: new Set(), warnings: [] });
  });

  it('treats every index as unknown without GPUs', () => {
    const sut = parseVisibleDevices('0', []);

    expect(sut.excluded.size).toBe(0);
    expect(sut.warnings).toEqual([expect.stringMatching(/no GPU has index 0/)]);
  });
});
