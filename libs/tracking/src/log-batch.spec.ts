import { DomainError, ErrorDetail } from '@trainyard/core';
import { parseLogBatch } from './log-batch';

/** The details of a refused batch, or null when it is taken. */
function refusal(body: unknown): ErrorDetail[] | null {
  try {
    parseLogBatch(body);
    return null;
  } catch (err) {
    return (err as DomainError).details as ErrorDetail[];
  }
}

describe('parseLogBatch', () => {
  it('refuses a key a point does not take, naming it by its path (it was dropped)', () => {
    expect(refusal({ metrics: [{ path: 'a', step: 1, value: 1, extra: 2 }] })).toEqual([
      { field: 'metrics[0].extra', message: 'unknown field metrics[0].extra (it takes path, step, value)' },
    ]);
    expect(refusal({ strings: [{ path: 'a', step: 1, value: 'x', vaule: 'y' }] })).toEqual([
      { field: 'strings[0].vaule', message: 'unknown field strings[0].vaule (did you mean value?)' },
    ]);
    expect(refusal({ metric: [] })).toEqual([
      { field: 'metric', message: 'unknown field metric (did you mean metrics?)' },
    ]);
  });

  it('keeps an empty config object as its JSON text (it was dropped without a word)', () => {
    const batch = parseLogBatch({ configs: { callbacks: {}, model: { opt: {} } } });
    expect(batch.configs).toEqual([
      { path: 'callbacks', type_tag: 'str', value: '{}' },
      { path: 'model/opt', type_tag: 'str', value: '{}' },
    ]);
  });

  it.each(['a/', '/a', '/a//b', 'a//b', ' spaced ', 'loss ', 'train/ loss', 'train /loss', '/'])(
    'refuses the untidy path %j (it was a series apart from its tidy twin)',
    (path) => {
      for (const [kind, value] of [
        ['metrics', 1],
        ['strings', 'x'],
      ] as const) {
        const details = refusal({ [kind]: [{ path, step: 1, value }] });
        expect(details).toHaveLength(1);
        expect(details![0]).toMatchObject({ field: `${kind}[0].path` });
        expect(details![0].message).toMatch(/must be parts joined by single "\/"/);
      }
      const key = path.split('/')[0];
      if (path.includes('/')) return;
      expect(refusal({ configs: { [key]: 1 } })?.[0]?.field).toBe(`configs.${key}`);
    },
  );

  it('refuses a config whose nesting makes an untidy path', () => {
    expect(refusal({ configs: { model: { '': 1 } } })?.[0]?.field).toBe('configs.model.');
    expect(refusal({ configs: { 'a/': { b: 1 } } })?.[0]?.field).toBe('configs.a/.b');
  });

  it('takes tidy paths, spaces inside a part included', () => {
    const batch = parseLogBatch({
      metrics: [
        { path: 'train/loss', step: 1, value: 1 },
        { path: 'eval/top 1 acc', step: 1, value: 0.5 },
      ],
      strings: [{ path: 'samples', step: 1, value: 'x' }],
      configs: { model: { layers: 4 }, lr: 0.1 },
    });
    expect(batch.metrics.paths).toEqual(['train/loss', 'eval/top 1 acc']);
    expect(batch.configs.map((c) => c.path)).toEqual(['model/layers', 'lr']);
  });
});
