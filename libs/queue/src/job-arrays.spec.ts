import type { ErrorDetail } from '@trainyard/core';
import {
  arrayJobName,
  checkArraySpec,
  expandArray,
  MAX_ARRAY_JOBS,
  misspeltPlaceholders,
  unusedSweepKeys,
  substitutePlaceholders,
  type SweepValue,
} from './job-arrays';

describe(expandArray.name, () => {
  it('makes the cartesian product, the first parameter varying slowest', () => {
    expect(expandArray({ sweep: { lr: ['1e-3', '1e-4'], bs: [16, 32, 64] } })).toEqual([
      { index: 0, values: { lr: '1e-3', bs: 16 } },
      { index: 1, values: { lr: '1e-3', bs: 32 } },
      { index: 2, values: { lr: '1e-3', bs: 64 } },
      { index: 3, values: { lr: '1e-4', bs: 16 } },
      { index: 4, values: { lr: '1e-4', bs: 32 } },
      { index: 5, values: { lr: '1e-4', bs: 64 } },
    ]);
  });

  it('repeats each point count times, and a bare count makes count jobs', () => {
    expect(expandArray({ count: 2, sweep: { seed: [1, 2] } }).map((p) => [p.index, p.values.seed])).toEqual([
      [0, 1],
      [1, 1],
      [2, 2],
      [3, 2],
    ]);
    expect(expandArray({ count: 3 })).toEqual([0, 1, 2].map((index) => ({ index, values: {} })));
  });
});

describe(substitutePlaceholders.name, () => {
  it('replaces known {names} in every string, nested, leaving keys, other types and unknown names', () => {
    const params = {
      argv: ['python', 'train.py', '--lr', '{lr}', '--out', 'runs/{lr}-{index}', '{other}'],
      nested: { tag: 'bs{bs}', n: 3, flag: true },
    };
    expect(substitutePlaceholders(params, { lr: '1e-3', bs: 32, index: 4 })).toEqual({
      argv: ['python', 'train.py', '--lr', '1e-3', '--out', 'runs/1e-3-4', '{other}'],
      nested: { tag: 'bs32', n: 3, flag: true },
    });
  });
});

describe(checkArraySpec.name, () => {
  const check = (spec: Parameters<typeof checkArraySpec>[0]) => {
    const details: ErrorDetail[] = [];
    const n = checkArraySpec(spec, details);
    return { n, fields: details.map((d) => d.field) };
  };
  it('counts the jobs of a valid spec', () => {
    expect(check({ count: 2, sweep: { a: [1, 2, 3], b: ['x', 'y'] } })).toEqual({ n: 12, fields: [] });
  });
  it('names the value a sweep lists twice', () => {
    const details: ErrorDetail[] = [];
    expect(checkArraySpec({ sweep: { lr: ['0.1', '0.1'] } }, details)).toBe(0);
    expect(details).toEqual([
      { field: 'array.sweep.lr', message: 'array.sweep.lr lists "0.1" more than once' },
    ]);
  });
  // Values are the text they put in the command: a number and its text would run the same job twice.
  it.each<[string, SweepValue[], string]>([
    ['a number and its text', [0.1, '0.1'], '0.1 and "0.1", the same value ("0.1" in the command)'],
    ['text and the number', ['0.1', 0.2, 0.1], '"0.1" and 0.1, the same value ("0.1" in the command)'],
    ['a boolean and its text', [true, 'true'], 'true and "true", the same value ("true" in the command)'],
    ['1, 1.0 (the same JSON number) and "1"', [1, JSON.parse('1.0') as number, '1'], '1 more than once'],
    ['an integer and its text', [1, '1'], '1 and "1", the same value ("1" in the command)'],
    ['-0 and 0', [JSON.parse('-0') as number, '0'], '0 and "0", the same value ("0" in the command)'],
  ])('refuses %s', (_what, values, says) => {
    const details: ErrorDetail[] = [];
    expect(checkArraySpec({ sweep: { lr: values } }, details)).toBe(0);
    expect(details).toEqual([{ field: 'array.sweep.lr', message: `array.sweep.lr lists ${says}` }]);
  });
  it('keeps values whose text differs (1 and "1.0", "true" and "True")', () => {
    expect(check({ sweep: { a: [1, '1.0'], b: ['true', 'True'] } })).toEqual({ n: 4, fields: [] });
  });
  it.each<[string, Parameters<typeof checkArraySpec>[0], string]>([
    ['neither count nor sweep', {}, 'array'],
    ['an empty value list', { sweep: { lr: [] } }, 'array.sweep.lr'],
    ['a value that is not a scalar', { sweep: { lr: [{}] as never } }, 'array.sweep.lr'],
    ['a reserved name', { sweep: { index: [1] } }, 'array.sweep.index'],
    ['a value listed twice', { sweep: { lr: ['0.1', '0.2', '0.1'] } }, 'array.sweep.lr'],
    [
      'too many jobs from a sweep',
      { sweep: { a: [...Array(101).keys()], b: [...Array(100).keys()] } },
      'array.sweep',
    ],
    ['too many jobs from a count', { count: MAX_ARRAY_JOBS + 1 }, 'array.count'],
  ])('refuses %s, naming %s', (_, spec, field) => {
    expect(check(spec)).toEqual({ n: 0, fields: [field] });
  });
});

describe(arrayJobName.name, () => {
  it('carries the sweep values, and the index when points repeat or there is no sweep', () => {
    expect(arrayJobName('train', { index: 4, values: { lr: '1e-4', bs: 32 } }, false)).toBe(
      'train lr=1e-4 bs=32',
    );
    expect(arrayJobName('train', { index: 4, values: { lr: '1e-4' } }, true)).toBe('train lr=1e-4 [4]');
    expect(arrayJobName('shard', { index: 7, values: {} }, false)).toBe('shard [7]');
  });

  it('replaces the placeholders of a given name, adding only the values it does not show', () => {
    expect(arrayJobName('lr-{lr}', { index: 4, values: { lr: '1e-4', bs: 32 } }, false)).toBe(
      'lr-1e-4 bs=32',
    );
    expect(arrayJobName('lr-{lr}', { index: 4, values: { lr: '1e-4' } }, true)).toBe('lr-1e-4 [4]');
    expect(arrayJobName('shard-{index}', { index: 7, values: {} }, true)).toBe('shard-7');
    expect(arrayJobName('{lr}/{bs}#{index}', { index: 1, values: { lr: 1, bs: 2 } }, true)).toBe('1/2#1');
  });
});

describe(misspeltPlaceholders.name, () => {
  const keys = ['lr', 'batch_size'];
  const fields = (value: unknown) => misspeltPlaceholders(value, keys, 'job_params').map((d) => d.field);

  it('names a placeholder that is a typo of a sweep parameter, by its JSON path', () => {
    const details = misspeltPlaceholders({ argv: ['echo', '{lrr}', '{lr}'] }, keys, 'job_params');
    expect(details).toEqual([
      {
        field: 'job_params.argv[1]',
        message:
          'job_params.argv[1]: {lrr} is not a sweep parameter; did you mean {lr}? (the sweep has {lr}, {batch_size} and {index})',
      },
    ]);
    expect(fields({ argv: ['train', '--bs={batch_sz}', '--lr={LR}'] })).toEqual([
      'job_params.argv[1]',
      'job_params.argv[2]',
    ]);
    expect(fields({ config: { opt: { lr: '{l}' } } })).toEqual(['job_params.config.opt.lr']);
  });

  it('names a typo or an abbreviation of {index}, with a sweep or without one', () => {
    expect(fields({ argv: ['echo', '{INDEX}', '{indx}', '{Index}', '{index}', '{idx}'] })).toEqual([
      'job_params.argv[1]',
      'job_params.argv[2]',
      'job_params.argv[3]',
      'job_params.argv[5]',
    ]);
    expect(fields({ argv: ['train', '--bs={batch_sz}', '--bs={bat_sz}'] })).toEqual([
      'job_params.argv[1]',
      'job_params.argv[2]',
    ]);
    expect(misspeltPlaceholders({ SEED: 'seed-{indx}' }, [], 'env')).toEqual([
      {
        field: 'env.SEED',
        message:
          'env.SEED: {indx} is not an array parameter; did you mean {index}? (an array without a sweep has {index} only)',
      },
    ]);
  });

  it('leaves alone what is no typo: the parameters, {index}, shell variables and unrelated braces', () => {
    expect(
      fields({
        argv: ['sh', '-c', 'echo ${lr} ${HOME} {} {x} {id} {epochs} {index} {lr} {batch_size} $lrr'],
        note: 'python -c "print(f\'{value}\')"',
      }),
    ).toEqual([]);
  });
});

describe(unusedSweepKeys.name, () => {
  it('names the sweep keys no placeholder and no job-type parameter uses', () => {
    const params = { argv: ['python3', 'train.py', '--lr={lr}'], env_like: { x: 'bs {bs}' } };
    expect(unusedSweepKeys(params, ['lr', 'bs', 'seed'], [])).toEqual(['seed']);
    expect(unusedSweepKeys({ argv: ['python3', 'train.py'] }, ['lr'], [])).toEqual(['lr']);
    // A value in the environment sets the jobs apart too.
    expect(unusedSweepKeys([{ argv: ['python3', 'train.py'] }, { LR: '{lr}' }], ['lr'], [])).toEqual([]);
    // A parameter of the job type by that name is set from the sweep directly.
    expect(unusedSweepKeys({ script: 'train.py' }, ['nproc_per_node'], ['script', 'nproc_per_node'])).toEqual(
      [],
    );
    // A near miss is not a use ({lrr} is caught as a typo elsewhere).
    expect(unusedSweepKeys({ argv: ['{lrr}'] }, ['lr'], [])).toEqual(['lr']);
  });
});
