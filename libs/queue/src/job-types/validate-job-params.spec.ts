import { commandJobType } from './command.job-type';
import { inferenceJobType } from './inference.job-type';
import { JobParamSchema, JobTypeDefinition, ParamError } from './job-type';
import { trainingJobType } from './training.job-type';
import { validateJobParams } from './validate-job-params';

const sut = validateJobParams;

/** One param of each type, so every check has a home. */
const probe: Pick<JobTypeDefinition, 'name' | 'params'> = {
  name: 'probe',
  params: [
    { name: 's', type: 'string', required: false, description: '' },
    { name: 'p', type: 'path', required: false, description: '' },
    { name: 'i', type: 'integer', required: false, description: '', min: 1, max: 8 },
    { name: 'n', type: 'number', required: false, description: '', min: 0 },
    { name: 'b', type: 'boolean', required: false, description: '' },
    { name: 'l', type: 'string_list', required: false, description: '', max: 2 },
    { name: 'c', type: 'choice', required: false, description: '', choices: ['a', 'b'] },
    { name: 'e', type: 'env_map', required: false, description: '' },
  ] satisfies JobParamSchema[],
};

describe(validateJobParams.name, () => {
  it.each<{ name: string; params: Record<string, unknown>; field: string; message: string }>([
    { name: 'string given a number', params: { s: 3 }, field: 's', message: '"s" must be a string, got 3' },
    { name: 'string with NUL', params: { s: 'a\0b' }, field: 's', message: '"s" must not contain NUL bytes' },
    { name: 'empty path', params: { p: '' }, field: 'p', message: '"p" must not be empty' },
    {
      name: 'integer given as a string is not coerced',
      params: { i: '3' },
      field: 'i',
      message: '"i" must be an integer, got the string "3"',
    },
    {
      name: 'fractional integer',
      params: { i: 2.5 },
      field: 'i',
      message: '"i" must be an integer, got 2.5',
    },
    {
      name: 'integer above max',
      params: { i: 9 },
      field: 'i',
      message: '"i" must be between 1 and 8, got 9',
    },
    {
      name: 'integer below min',
      params: { i: 0 },
      field: 'i',
      message: '"i" must be between 1 and 8, got 0',
    },
    { name: 'number below min', params: { n: -0.5 }, field: 'n', message: '"n" must be ≥ 0, got -0.5' },
    {
      name: 'NaN is not a number here',
      params: { n: NaN },
      field: 'n',
      message: '"n" must be a number, got NaN',
    },
    {
      name: 'boolean given a string',
      params: { b: 'true' },
      field: 'b',
      message: '"b" must be true or false, got the string "true"',
    },
    {
      name: 'list given a string',
      params: { l: 'x' },
      field: 'l',
      message: '"l" must be a list of strings, got the string "x"',
    },
    {
      name: 'list with a number',
      params: { l: ['x', 1] },
      field: 'l',
      message: '"l"[1] must be a string, got 1',
    },
    {
      name: 'list entry with NUL',
      params: { l: ['\0'] },
      field: 'l',
      message: '"l"[0] must not contain NUL bytes',
    },
    {
      name: 'string longer than one exec argument may be',
      params: { s: 'x'.repeat(131_072) },
      field: 's',
      message: `"s" is 131072 bytes; one argument or environment variable may be at most 131071 (the kernel's limit)`,
    },
    {
      name: 'list entry too long, counted in UTF-8 bytes',
      params: { l: ['é'.repeat(65_536)] },
      field: 'l',
      message: `"l"[0] is 131072 bytes; one argument or environment variable may be at most 131071 (the kernel's limit)`,
    },
    {
      name: 'env map entry too long as NAME=value',
      params: { e: { K: 'x'.repeat(131_070) } },
      field: 'e',
      message: `"e".K is 131072 bytes; one argument or environment variable may be at most 131071 (the kernel's limit)`,
    },
    {
      name: 'list too long',
      params: { l: ['a', 'b', 'c'] },
      field: 'l',
      message: '"l" must have at most 2 items, got 3',
    },
    {
      name: 'choice not in list',
      params: { c: 'z' },
      field: 'c',
      message: '"c" must be one of a, b; got the string "z"',
    },
    {
      name: 'env map given a list',
      params: { e: [] },
      field: 'e',
      message: '"e" must be an object of strings, got a list',
    },
    {
      name: 'env map with a number',
      params: { e: { A: 1 } },
      field: 'e',
      message: '"e".A must be a string, got 1',
    },
    {
      name: 'env map with a bad name',
      params: { e: { 'A=B': 'x' } },
      field: 'e',
      message: '"e" has an invalid variable name "A=B"',
    },
    {
      name: 'env value with NUL',
      params: { e: { A: 'x\0' } },
      field: 'e',
      message: '"e".A must not contain NUL bytes',
    },
    {
      name: 'unknown parameter',
      params: { foo: 1 },
      field: 'foo',
      message: 'unknown parameter "foo" for type probe',
    },
  ])('$name', ({ params, field, message }) => {
    const { errors } = sut(probe, params);

    expect(errors).toEqual([{ field: `job_params.${field}`, message }]);
  });

  it.each<{ name: string; params: Record<string, unknown> }>([
    {
      name: 'every type with a good value',
      params: { s: '', p: '/x', i: 8, n: 0, b: false, l: [], c: 'b', e: { A_1: '' } },
    },
    { name: 'nothing (all optional)', params: {} },
    { name: 'null as "not given"', params: { s: null, i: null } },
  ])('accepts $name', ({ params }) => {
    expect(sut(probe, params).errors).toEqual([]);
  });

  it('reports one error per bad field, naming each', () => {
    const { errors } = sut(trainingJobType, { args: 'x', nproc_per_node: 0, bogus: true });

    expect(errors).toEqual<ParamError[]>([
      { field: 'job_params.bogus', message: 'unknown parameter "bogus" for type training' },
      { field: 'job_params.script', message: '"script" is required' },
      { field: 'job_params.args', message: '"args" must be a list of strings, got the string "x"' },
      { field: 'job_params.nproc_per_node', message: '"nproc_per_node" must be ≥ 1, got 0' },
    ]);
  });

  it('takes a string exactly as long as one exec argument may be', () => {
    expect(sut(probe, { s: 'x'.repeat(131_071), e: { K: 'x'.repeat(131_069) } }).errors).toEqual([]);
  });

  it('requires a non-empty argv for command jobs', () => {
    expect(sut(commandJobType, { argv: [] }).errors).toEqual([
      { field: 'job_params.argv', message: '"argv" must have at least 1 item, got 0' },
    ]);
  });

  it.each(['', ' ', '\t'])('refuses a blank program (argv[0] = %p) at submit, naming it', (blank) => {
    // Before: accepted (201), then the job failed at launch with exit 126/127.
    expect(sut(commandJobType, { argv: [blank, 'x'] }).errors).toEqual([
      {
        field: 'job_params.argv',
        message: `"argv"[0] is the program to run: it cannot be blank, got ${JSON.stringify(blank)}`,
      },
    ]);
    expect(sut(commandJobType, { argv: ['true', ''] }).errors).toEqual([]); // an argument may be empty
  });

  it.each([undefined, null])('treats %p job_params as empty', (params) => {
    expect(sut(commandJobType, params).errors).toEqual([
      { field: 'job_params.argv', message: '"argv" is required' },
    ]);
  });

  it.each([[['a']], ['argv'], [42]])('rejects job_params that are not an object: %p', (params) => {
    expect(sut(commandJobType, params).errors).toEqual([
      { field: 'job_params', message: expect.stringContaining('job_params must be a JSON object') },
    ]);
  });

  it('applies defaults and keeps given values', () => {
    const { params, errors } = sut(inferenceJobType, { model: '/m', port: 8000, host: '0.0.0.0' });

    expect(errors).toEqual([]);
    expect(params).toEqual({
      server: 'vllm',
      model: '/m',
      host: '0.0.0.0',
      port: 8000,
      extra_args: [],
      auth: true,
    });
  });

  it('copies lists so neither the request nor the schema default can be changed through the result', () => {
    const args = ['a'];
    const first = sut(trainingJobType, { script: 's.py', args });
    args.push('b');
    const withDefault = sut(trainingJobType, { script: 's.py' });
    (withDefault.params.args as string[]).push('leak');

    expect(first.params.args).toEqual(['a']);
    expect(sut(trainingJobType, { script: 's.py' }).params.args).toEqual([]);
  });

  it('rejects objects that are not plain data (inherited params would otherwise go unchecked)', () => {
    const params = Object.create({ script: 'inherited.py' }) as Record<string, unknown>;

    expect(sut(trainingJobType, params).errors).toEqual([
      { field: 'job_params', message: 'job_params must be a JSON object, got a non-plain object' },
    ]);
  });
});
