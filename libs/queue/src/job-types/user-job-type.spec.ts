import { UserJobTypeConfig } from './job-type';
import { describeJobType } from './describe-job-type';
import { JobTypeRegistry } from './job-type-registry';
import { compileUserJobType, JobTypeConfigError } from './user-job-type';
import { validateJobParams } from './validate-job-params';

const sweep: UserJobTypeConfig = {
  name: 'sweep',
  description: 'Hyper-parameter sweep step',
  argv: ['python', '{script}', '--lr', '{lr}', '--tag=run-{queue_id}', '--gpus={gpus}', '{args...}'],
  params: [
    { name: 'script', type: 'path', required: true },
    { name: 'lr', type: 'number', default: 0.001 },
    { name: 'args', type: 'string_list' },
  ],
  default_gpus: 2,
};

function compile(config: unknown) {
  return compileUserJobType(config, 'job_types[0]', new Map([['command', 'builtin' as const]]));
}

function build(config: unknown, raw: Record<string, unknown>, gpuIndices = [0, 3]) {
  const def = compile(config);
  const { params, errors } = validateJobParams(def, raw);
  expect(errors).toEqual([]);
  return def.build({
    queueId: 'q_1_ab',
    params,
    gpuIndices,
    requestedGpus: gpuIndices.length,
    secretsDir: '/s',
  });
}

describe(compileUserJobType.name, () => {
  it.each<{
    name: string;
    config?: Partial<UserJobTypeConfig>;
    params: Record<string, unknown>;
    gpus?: number[];
    argv: string[];
  }>([
    {
      name: 'substitutes scalars, built-ins and splices a list',
      params: { script: 'train.py', lr: 0.01, args: ['--epochs', '3'] },
      argv: ['python', 'train.py', '--lr', '0.01', '--tag=run-q_1_ab', '--gpus=0,3', '--epochs', '3'],
    },
    {
      name: 'uses defaults; an absent list splices nothing',
      params: { script: 'train.py' },
      argv: ['python', 'train.py', '--lr', '0.001', '--tag=run-q_1_ab', '--gpus=0,3'],
    },
    {
      name: 'a value with spaces and shell characters stays one element, unexpanded',
      params: { script: 'my script.py; rm -rf / $(id)' },
      argv: ['python', 'my script.py; rm -rf / $(id)', '--lr', '0.001', '--tag=run-q_1_ab', '--gpus=0,3'],
    },
    {
      name: 'a value that looks like a placeholder is not expanded again',
      params: { script: '{lr}', args: ['{script}'] },
      argv: ['python', '{lr}', '--lr', '0.001', '--tag=run-q_1_ab', '--gpus=0,3', '{script}'],
    },
    {
      name: '{gpus} is empty without GPUs',
      params: { script: 's.py' },
      gpus: [],
      argv: ['python', 's.py', '--lr', '0.001', '--tag=run-q_1_ab', '--gpus='],
    },
    {
      name: 'booleans and integers render as text; doubled braces are literal',
      config: {
        argv: ['run', '--flag={on}', '{n}', '{{"json": {n}}}'],
        params: [
          { name: 'on', type: 'boolean', default: false },
          { name: 'n', type: 'integer', required: true },
        ],
      },
      params: { n: 7 },
      argv: ['run', '--flag=false', '7', '{"json": 7}'],
    },
  ])('$name', ({ config, params, gpus, argv }) => {
    expect(build({ ...sweep, ...config }, params, gpus).argv).toEqual(argv);
  });

  it('puts env_map params into the environment', () => {
    const config = {
      name: 'envy',
      argv: ['env'],
      params: [
        { name: 'env', type: 'env_map', default: { A: '1' } },
        { name: 'more', type: 'env_map' },
      ],
    };

    expect(build(config, { more: { B: '2' } }).env).toEqual({ A: '1', B: '2' });
  });

  it('exposes a schema with defaults filled in', () => {
    const def = compile(sweep);

    expect(def).toMatchObject({ name: 'sweep', description: 'Hyper-parameter sweep step', defaultGpus: 2 });
    expect(def.params).toEqual([
      { name: 'script', type: 'path', required: true, description: '' },
      { name: 'lr', type: 'number', required: false, default: 0.001, description: '' },
      { name: 'args', type: 'string_list', required: false, description: '' },
    ]);
  });

  it.each<{ limit: number | null | undefined; expected: number | null | undefined }>([
    { limit: undefined, expected: undefined },
    { limit: null, expected: null },
    { limit: 7200, expected: 7200 },
  ])("takes default_time_limit_s $limit as its jobs' default time limit", ({ limit, expected }) => {
    const def = compile({ ...sweep, ...(limit !== undefined && { default_time_limit_s: limit }) });
    expect(def.defaultTimeLimitS).toBe(expected);
  });

  it.each<{ name: string; config: Record<string, unknown>; error: string }>([
    {
      name: 'a time limit that is not whole seconds',
      config: { ...sweep, default_time_limit_s: '2h' },
      error: 'default_time_limit_s must be a whole number of seconds 1..31622400, or null',
    },
    {
      name: 'a time limit of zero',
      config: { ...sweep, default_time_limit_s: 0 },
      error: 'default_time_limit_s must be a whole number of seconds 1..31622400, or null',
    },
    {
      name: 'unknown placeholder',
      config: { ...sweep, argv: ['python', '{scirpt}'] },
      error:
        'job_types[0] "sweep": unknown placeholder {scirpt} in argv[1] "{scirpt}" (params: script, lr, args; built-ins: gpus, queue_id)',
    },
    {
      name: 'name clash with a built-in',
      config: { ...sweep, name: 'command' },
      error: 'name "command" clashes with the built-in job type of that name',
    },
    {
      name: 'bad type name',
      config: { ...sweep, name: 'Sweep!' },
      error: 'name "Sweep!" must match ^[a-z][a-z0-9_-]*$',
    },
    { name: 'missing name', config: { argv: ['x'] }, error: 'job_types[0]: name null must match' },
    { name: 'empty argv', config: { ...sweep, argv: [] }, error: 'argv must be a non-empty list of strings' },
    {
      name: 'argv not strings',
      config: { ...sweep, argv: ['x', 1] },
      error: 'argv must be a non-empty list of strings',
    },
    {
      name: 'splice inside a larger element',
      config: { ...sweep, argv: ['x', '--a={args...}'] },
      error: '{args...} must be a whole argv element',
    },
    {
      name: 'splice of a scalar',
      config: { ...sweep, argv: ['x', '{lr...}'] },
      error: 'splices a list, but "lr" is number',
    },
    {
      name: 'list used as a scalar',
      config: { ...sweep, argv: ['x', '{args}'] },
      error: '"args" is a list; use {args...}',
    },
    {
      name: 'optional scalar without default',
      config: { ...sweep, argv: ['x', '{opt}'], params: [{ name: 'opt', type: 'string' }] },
      error: '"opt" is optional without a default',
    },
    {
      name: 'unterminated placeholder',
      config: { ...sweep, argv: ['x', '{script'] },
      error: 'unterminated placeholder',
    },
    { name: 'stray closing brace', config: { ...sweep, argv: ['x', 'a}b'] }, error: 'stray "}"' },
    {
      name: 'unknown param type',
      config: { ...sweep, params: [{ name: 'script', type: 'file' }] },
      error: 'param "script": type must be one of',
    },
    {
      name: 'choice without choices',
      config: { ...sweep, argv: ['x'], params: [{ name: 'mode', type: 'choice', required: true }] },
      error: 'param "mode": a choice param needs a non-empty list of string choices',
    },
    {
      name: 'default of the wrong type',
      config: { ...sweep, params: [{ name: 'script', type: 'path', default: 3 }] },
      error: 'param "script": default invalid: "script" must be a string, got 3',
    },
    {
      name: 'param named like a built-in placeholder',
      config: { ...sweep, argv: ['x'], params: [{ name: 'gpus', type: 'string', default: 'x' }] },
      error: '"gpus" is a built-in placeholder',
    },
    {
      name: 'duplicate param',
      config: { ...sweep, params: [...sweep.params, { name: 'lr', type: 'number', default: 1 }] },
      error: 'param "lr": defined more than once',
    },
    {
      name: 'typo in a param key',
      config: { ...sweep, params: [{ name: 'script', type: 'path', requried: true }] },
      error: 'unknown key "requried"',
    },
    { name: 'typo in a type key', config: { ...sweep, default_gpu: 1 }, error: 'unknown key "default_gpu"' },
    {
      name: 'a path kind that is neither',
      config: { ...sweep, params: [{ name: 'script', type: 'path', path_kind: 'script' }] },
      error: 'param "script": path_kind must be one of file, dir',
    },
    {
      name: 'a path kind on a string',
      config: { ...sweep, params: [{ name: 'script', type: 'string', path_kind: 'file' }] },
      error: 'param "script": path_kind only applies to type path',
    },
    {
      name: 'negative default_gpus',
      config: { ...sweep, default_gpus: -1 },
      error: 'default_gpus must be a non-negative integer',
    },
  ])('rejects $name', ({ config, error }) => {
    expect(() => compile(config)).toThrow(JobTypeConfigError);
    expect(() => compile(config)).toThrow(error);
  });

  it.each<[string, string[], Record<string, unknown>]>([
    ['a string param', ['{prog}', '--x'], { prog: ' ' }],
    ['a list spliced first', ['{cmd...}'], { cmd: ['', 'x'] }],
  ])('refuses a blank program at submit when %s is the first argv element', (_, argv, raw) => {
    const params = [
      { name: 'prog', type: 'string', default: 'python' },
      { name: 'cmd', type: 'string_list' },
    ];
    const def = compile({ name: 'wrapped', argv, params });
    const field = Object.keys(raw)[0];
    expect(validateJobParams(def, raw).errors).toEqual([
      {
        field: `job_params.${field}`,
        message: expect.stringContaining('is the program to run: it cannot be blank'),
      },
    ]);
    // Elsewhere in argv a blank value is an argument like any other.
    const later = compile({ name: 'later', argv: ['env', ...argv], params });
    expect(validateJobParams(later, raw).errors).toEqual([]);
  });

  it("serves a path param's kind to forms, where the type says one", () => {
    const def = compile({
      ...sweep,
      argv: ['python', '{script}', '{out}'],
      params: [
        { name: 'script', type: 'path', path_kind: 'file', required: true },
        { name: 'out', type: 'path', default: 'out' },
      ],
    });
    expect(describeJobType(def).params).toEqual([
      expect.objectContaining({ name: 'script', path_kind: 'file' }),
      expect.not.objectContaining({ path_kind: expect.anything() }),
    ]);
  });

  it('reports every problem of a type at once', () => {
    const config = { ...sweep, argv: ['{a}', '{b}'], default_gpus: 'two' };

    expect(() => compile(config)).toThrow(
      /default_gpus.*unknown placeholder \{a\}.*unknown placeholder \{b\}/,
    );
  });
});

describe(JobTypeRegistry.withBuiltins.name, () => {
  it('registers user types after the built-ins', () => {
    const sut = JobTypeRegistry.withBuiltins([sweep]);

    expect(sut.get('sweep')?.defaultGpus).toBe(2);
    expect(sut.list().at(-1)?.name).toBe('sweep');
    expect(sut.get('training')).toBeDefined();
  });

  it('refuses to boot with a message naming each bad type and placeholder', () => {
    const bad = [
      { ...sweep, name: 'training' },
      sweep,
      { ...sweep, name: 'sweep' },
      { ...sweep, name: 'other', argv: ['{nope}'] },
    ];

    expect(() => JobTypeRegistry.withBuiltins(bad)).toThrow(JobTypeConfigError);
    expect(() => JobTypeRegistry.withBuiltins(bad)).toThrow(
      [
        'invalid job_types in server_config.yaml:',
        '  job_types[0] "training": name "training" clashes with the built-in job type of that name',
        '  job_types[2] "sweep": name "sweep" is defined more than once',
        '  job_types[3] "other": unknown placeholder {nope} in argv[0] "{nope}" (params: script, lr, args; built-ins: gpus, queue_id)',
      ].join('\n'),
    );
  });

  it.each([{}, 'sweep', 3])('refuses a job_types block that is not a list: %p', (block) => {
    expect(() => JobTypeRegistry.withBuiltins(block as unknown as UserJobTypeConfig[])).toThrow(
      'job_types: must be a list',
    );
  });
});
