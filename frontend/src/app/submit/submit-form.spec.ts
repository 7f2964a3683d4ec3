import type {
  GpuDto,
  JobDto,
  JobParamDescriptionDto,
  JobTypeDto,
  QueueItemDto,
  SubmitJobRequestDto,
} from '@trainyard/sdk';
import {
  type FormValues,
  KILL_GRACE_HINT,
  LOG_CAP_HINT,
  SERVICE_NAME,
  TIME_LIMIT_HINT,
  TIME_LIMIT_ZERO,
  buildBody,
  formField,
  initialValues,
  lines,
  migProfileOptions,
  parseArray,
  parseDependsOn,
  parseTimeLimit,
  serviceFormField,
  submittedMessage,
  valuesFromJob,
} from './submit-form';

type ParamInput = Partial<Omit<JobParamDescriptionDto, 'default'>> & { default?: unknown };

function param(p: ParamInput): JobParamDescriptionDto {
  return { name: 'p', type: 'string', description: '', required: false, ...p } as JobParamDescriptionDto;
}

function jobType(params: JobParamDescriptionDto[], default_gpus = 1): JobTypeDto {
  return { name: 'trainer', description: '', default_gpus, params } as unknown as JobTypeDto;
}

function values(params: FormValues['params'], rest: Partial<FormValues> = {}): FormValues {
  return {
    params,
    gpus: '1',
    priority: '0',
    name: '',
    cwd: '',
    env: '',
    preemptible: false,
    gpuProfile: '',
    timeLimit: '',
    killGrace: '',
    logCap: '',
    dependsOn: [],
    arrayCount: '',
    arrayMaxRunning: '',
    ...rest,
  };
}

function errorsOf(type: JobTypeDto, v: FormValues): Record<string, string> {
  const result = buildBody(type, v);
  if (!('errors' in result)) throw new Error(`expected errors, got ${JSON.stringify(result.body)}`);
  return result.errors;
}

function bodyOf(type: JobTypeDto, v: FormValues) {
  const result = buildBody(type, v);
  if ('errors' in result) throw new Error(`expected a body, got ${JSON.stringify(result.errors)}`);
  return result.body;
}

describe('initialValues', () => {
  const type = jobType(
    [
      param({ name: 'mode', type: 'choice', required: true, choices: ['fast', 'slow'] }),
      param({ name: 'opt', type: 'choice', choices: ['a', 'b'] }),
      param({ name: 'resume', type: 'boolean', default: true }),
      param({ name: 'dry', type: 'boolean' }),
      param({ name: 'epochs', type: 'integer', default: 3 }),
      param({ name: 'files', type: 'string_list', default: ['a.txt', 'b.txt'] }),
      param({ name: 'vars', type: 'env_map', default: { A: 1, B: 'x' } }),
      param({ name: 'note', type: 'string' }),
    ],
    2,
  );

  it('applies the schema defaults as form text', () => {
    expect(initialValues(type, undefined)).toEqual({
      params: {
        mode: 'fast', // required choice without default: its first choice
        opt: '',
        resume: true,
        dry: false,
        epochs: '3',
        files: 'a.txt b.txt', // a list default shows as one shell-quoted line
        vars: 'A=1\nB=x',
        note: '',
      },
      gpus: '2',
      priority: '0',
      name: '',
      cwd: '',
      env: '',
      preemptible: false,
      gpuProfile: '',
      timeLimit: '',
      killGrace: '',
      logCap: '',
      dependsOn: [],
      arrayCount: '',
      arrayMaxRunning: '',
    });
  });

  it('prefers the values last submitted for the type', () => {
    const sut = initialValues(type, {
      params: { mode: 'slow', resume: false, epochs: '9' },
      gpus: '0',
      priority: '5',
      name: 'run',
      cwd: '/data',
      env: 'X=1',
      preemptible: true,
      timeLimit: '2h',
      killGrace: '2m',
      logCap: '1G',
      dependsOn: [{ queueId: 'q_1700000000000_0a1b2c3d', condition: 'after_ok' }],
      arrayCount: '10',
      arrayMaxRunning: '2',
    });
    expect(sut.params).toMatchObject({ mode: 'slow', resume: false, epochs: '9', files: 'a.txt b.txt' });
    expect(sut).toMatchObject({
      gpus: '0',
      priority: '5',
      name: 'run',
      cwd: '/data',
      env: 'X=1',
      preemptible: true,
      timeLimit: '2h',
      killGrace: '2m',
      logCap: '1G',
    });
    // Dependencies name one-off jobs; a remembered array would turn the next submit into N jobs.
    expect(sut).toMatchObject({ dependsOn: [], arrayCount: '', arrayMaxRunning: '' });
  });

  it('drops remembered values for parameters the type no longer has, or of the wrong kind', () => {
    const sut = initialValues(type, {
      params: { gone: 'x', resume: 'yes', epochs: true } as unknown as FormValues['params'],
    });
    expect(sut.params).not.toHaveProperty('gone');
    expect(sut.params['resume']).toBe(true);
    expect(sut.params['epochs']).toBe('3');
  });
});

describe('buildBody', () => {
  it('converts every parameter kind and the common fields', () => {
    const type = jobType([
      param({ name: 'mode', type: 'choice', choices: ['fast', 'slow'] }),
      param({ name: 'resume', type: 'boolean' }),
      param({ name: 'epochs', type: 'integer' }),
      param({ name: 'lr', type: 'number' }),
      param({ name: 'files', type: 'string_list' }),
      param({ name: 'vars', type: 'env_map' }),
      param({ name: 'note', type: 'string' }),
    ]);
    const body = bodyOf(
      type,
      values(
        {
          mode: 'slow',
          resume: true,
          epochs: '10',
          lr: '0.001',
          files: 'a.txt\r\n\nb c.txt\n',
          vars: 'A=1\n# comment\nB = two=2',
          note: 'hi',
        },
        {
          gpus: '2',
          priority: '-3',
          name: '  my run ',
          cwd: ' /work ',
          env: 'CUDA=0\nEMPTY=',
          preemptible: true,
        },
      ),
    );
    expect(body).toEqual({
      job_type: 'trainer',
      requested_gpus: 2,
      priority: -3,
      job_params: {
        mode: 'slow',
        resume: true,
        epochs: 10,
        lr: 0.001,
        files: ['a.txt', 'b c.txt'],
        vars: { A: '1', B: ' two=2' },
        note: 'hi',
      },
      name: 'my run',
      cwd: '/work',
      env: { CUDA: '0', EMPTY: '' },
      preemptible: true,
    });
  });

  it('leaves out empty optional parameters and empty common fields', () => {
    const type = jobType([
      param({ name: 'epochs', type: 'integer' }),
      param({ name: 'files', type: 'string_list' }),
      param({ name: 'vars', type: 'env_map' }),
      param({ name: 'note', type: 'string' }),
      param({ name: 'dry', type: 'boolean' }),
    ]);
    expect(
      bodyOf(type, values({ epochs: ' ', files: '\n\n', vars: '', note: '', dry: false }, { priority: '' })),
    ).toEqual({ job_type: 'trainer', requested_gpus: 1, priority: 0, job_params: { dry: false } });
  });

  it.each([
    ['integer', {}, '1.5', 'A whole number.'],
    ['integer', {}, 'abc', 'A whole number.'],
    ['number', {}, 'abc', 'A number.'],
    ['number', {}, 'Infinity', 'A number.'],
    ['integer', { min: 1 }, '0', 'At least 1.'],
    ['number', { max: 1 }, '1.01', 'At most 1.'],
    ['string_list', { min: 2 }, 'one', 'At least 2 items.'],
    ['string_list', { min: 1, required: true }, '', 'At least 1 item.'],
    ['string_list', {}, "python 'unclosed", "Unclosed single quote (')."],
    ['env_map', {}, 'NOEQUALS', '“NOEQUALS” is not KEY=VALUE.'],
    ['env_map', {}, '=value', '“=value” has no name before =.'],
    [
      'env_map',
      {},
      '1BAD=x',
      '“1BAD” is not a valid variable name: letters, digits and _, not starting with a digit.',
    ],
    ['integer', {}, 'e', 'A whole number.'],
    ['integer', {}, '1e3', 'A whole number.'],
    ['integer', {}, '0x10', 'A whole number.'],
    ['number', {}, '0x10', 'A number.'],
    ['string', { required: true }, '', 'Required.'],
    ['choice', { required: true, choices: ['a'] }, '', 'Required.'],
    ['integer', { required: true }, '', 'Required.'],
  ])('%s %j given %j: %s', (type, extra, raw, message) => {
    const sut = jobType([param({ name: 'x', type, ...extra })]);
    expect(errorsOf(sut, values({ x: raw }))).toEqual({ 'job_params.x': message });
  });

  it('accepts numbers on the limits', () => {
    const type = jobType([param({ name: 'n', type: 'integer', min: 1, max: 8 })]);
    expect(bodyOf(type, values({ n: '1' })).job_params).toEqual({ n: 1 });
    expect(bodyOf(type, values({ n: '8' })).job_params).toEqual({ n: 8 });
  });

  it('lets an optional list with a minimum stay empty', () => {
    const type = jobType([param({ name: 'files', type: 'string_list', min: 2 })]);
    expect(bodyOf(type, values({ files: '' })).job_params).toEqual({});
  });

  it.each([
    [{ gpus: '' }, 'requested_gpus', 'A whole number, 0 or more.'],
    [{ gpus: '-1' }, 'requested_gpus', 'A whole number, 0 or more.'],
    [{ gpus: '1.5' }, 'requested_gpus', 'A whole number, 0 or more.'],
    [{ priority: 'high' }, 'priority', 'A whole number from -1,000,000 to 1,000,000 (higher runs first).'],
    [{ priority: 'e' }, 'priority', 'A whole number from -1,000,000 to 1,000,000 (higher runs first).'],
    [{ priority: '1e2' }, 'priority', 'A whole number from -1,000,000 to 1,000,000 (higher runs first).'],
    [{ priority: '1000001' }, 'priority', 'A whole number from -1,000,000 to 1,000,000 (higher runs first).'],
    [
      { priority: '-1000001' },
      'priority',
      'A whole number from -1,000,000 to 1,000,000 (higher runs first).',
    ],
    [{ gpus: '0x1' }, 'requested_gpus', 'A whole number, 0 or more.'],
    [
      { env: 'MY-VAR=1' },
      'env',
      '“MY-VAR” is not a valid variable name: letters, digits and _, not starting with a digit.',
    ],
    [{ env: 'lower=ok\nbad line' }, 'env', '“bad line” is not KEY=VALUE.'],
  ])('rejects the common field %j', (rest, field, message) => {
    expect(errorsOf(jobType([]), values({}, rest))).toEqual({ [field]: message });
  });

  it('reports every bad field at once', () => {
    const type = jobType([
      param({ name: 'a', type: 'integer', required: true }),
      param({ name: 'b', type: 'env_map' }),
    ]);
    expect(Object.keys(errorsOf(type, values({ a: '', b: 'x' }, { gpus: 'x' })))).toEqual([
      'job_params.a',
      'job_params.b',
      'requested_gpus',
    ]);
  });
});

describe('formField', () => {
  it.each([
    ['job_params.argv', 'job_params.argv'],
    ['job_params.argv.0', 'job_params.argv'],
    ['job_params.env.FOO', 'job_params.env'],
    ['job_params', 'job_params'],
    ['env.FOO', 'env'],
    ['requested_gpus', 'requested_gpus'],
    ['time_limit_s', 'time_limit_s'],
    ['array.count', 'array.count'],
    ['array.sweep.lr', 'array.sweep'],
    ['depends_on', 'depends_on'],
    ['', ''],
  ])('%s → %s', (field, expected) => {
    expect(formField(field)).toBe(expected);
  });

  it('maps depends_on[i] to the row sent i-th: rows with a blank id are not sent', () => {
    const rows = [
      { queueId: '', condition: 'after_ok' as const },
      { queueId: 'q_1700000000000_0a1b2c3d', condition: 'after_ok' as const },
      { queueId: ' ', condition: 'after_ok' as const },
      { queueId: 'q_1700000000001_0a1b2c3d', condition: 'after_ok' as const },
    ];
    expect(formField('depends_on[0].queue_id', rows)).toBe('depends_on[1]');
    expect(formField('depends_on[1].condition', rows)).toBe('depends_on[3]');
    expect(formField('depends_on[2].queue_id', rows)).toBe('depends_on');
  });
});

describe('advanced fields', () => {
  const type = jobType([param({ name: 'argv', type: 'string_list', required: true })]);
  const cmd = { argv: 'python t.py' };
  const A = 'q_1700000000000_0a1b2c3d';
  const B = 'q_1700000000001_ffffffff';

  it.each<[string, number | null]>([
    ['90', 90],
    ['90m', 5400],
    ['2h', 7200],
    ['1h30m', 5400],
    [' 1H30M ', 5400],
    ['none', null],
  ])('sends the time limit %j as time_limit_s %j', (text, seconds) => {
    expect(bodyOf(type, values(cmd, { timeLimit: text })).time_limit_s).toBe(seconds);
  });

  it('leaves time_limit_s out when blank (the server default applies)', () => {
    expect(bodyOf(type, values(cmd, { timeLimit: '  ' }))).not.toHaveProperty('time_limit_s');
    expect(parseTimeLimit('')).toBe('');
  });

  it.each(['1.5h', '30m1h', '2 hours', '-5', 'h'])('refuses the time limit %j under time_limit_s', (text) => {
    expect(errorsOf(type, values(cmd, { timeLimit: text }))).toEqual({ time_limit_s: TIME_LIMIT_HINT });
  });

  it('refuses a short clock naming both readings (Slurm reads 1:30 as minutes:seconds)', () => {
    expect(errorsOf(type, values(cmd, { timeLimit: '1:30' }))).toEqual({
      time_limit_s: expect.stringContaining('write 1m30s or 1h30m') as string,
    });
  });

  it.each(['0', '0m', '0h0m'])('refuses the time limit %j as too short, not as unreadable', (text) => {
    expect(errorsOf(type, values(cmd, { timeLimit: text }))).toEqual({ time_limit_s: TIME_LIMIT_ZERO });
  });

  it('sends the dependency rows with their conditions, skipping blank rows', () => {
    const body = bodyOf(
      type,
      values(cmd, {
        dependsOn: [
          { queueId: ` ${A} `, condition: 'after_ok' },
          { queueId: '', condition: 'after_any' },
          { queueId: B, condition: 'after_not_ok' },
        ],
      }),
    );
    expect(body.depends_on).toEqual([
      { queue_id: A, condition: 'after_ok' },
      { queue_id: B, condition: 'after_not_ok' },
    ]);
    expect(
      bodyOf(type, values(cmd, { dependsOn: [{ queueId: '', condition: 'after_ok' }] })),
    ).not.toHaveProperty('depends_on');
  });

  it('takes an array id as a dependency (every job of the array)', () => {
    const array = 'a_1700000000000_0a1b2c3d';
    expect(parseDependsOn([{ queueId: ` ${array} `, condition: 'after_any' }])).toEqual({
      value: [{ queue_id: array, condition: 'after_any' }],
    });
  });

  it('names the dependency row that is not a queue id, or repeats one', () => {
    const rows = [
      { queueId: A, condition: 'after_ok' as const },
      { queueId: 'train-1', condition: 'after_ok' as const },
      { queueId: A, condition: 'after_any' as const },
    ];
    expect(parseDependsOn(rows)).toEqual({
      errors: {
        'depends_on[1]': 'A queue id like q_1700000000000_0a1b2c3d, or an array id a_….',
        'depends_on[2]': 'Listed twice.',
      },
    });
    expect(Object.keys(errorsOf(type, values(cmd, { dependsOn: rows })))).toEqual([
      'depends_on[1]',
      'depends_on[2]',
    ]);
  });

  it('sends array count and max running; blank count is one job', () => {
    expect(bodyOf(type, values(cmd, { arrayCount: '10', arrayMaxRunning: '2' })).array).toEqual({
      count: 10,
      max_running: 2,
    });
    expect(bodyOf(type, values(cmd, { arrayCount: '3' })).array).toEqual({ count: 3 });
    expect(bodyOf(type, values(cmd))).not.toHaveProperty('array');
  });

  it.each<[string, string, Record<string, string>]>([
    ['0', '', { 'array.count': 'A whole number from 1 to 10,000.' }],
    ['10001', '', { 'array.count': 'A whole number from 1 to 10,000.' }],
    ['two', '', { 'array.count': 'A whole number from 1 to 10,000.' }],
    ['4', '0', { 'array.max_running': 'A whole number, 1 or more.' }],
    ['4', 'x', { 'array.max_running': 'A whole number, 1 or more.' }],
    ['', '2', { 'array.count': 'Set a count for the cap to apply to.' }],
  ])('refuses count %j, max running %j under the server field names', (count, max, expected) => {
    expect(parseArray(count, max)).toEqual({ errors: expected });
    expect(errorsOf(type, values(cmd, { arrayCount: count, arrayMaxRunning: max }))).toEqual(expected);
  });
});

describe('submittedMessage', () => {
  const item = (over: Partial<QueueItemDto>) =>
    ({
      queue_id: 'q_1_aa',
      name: 'train',
      status: 'queued',
      array_id: null,
      pending_reason: null,
      ...over,
    }) as QueueItemDto;
  const body = (array?: SubmitJobRequestDto['array']) =>
    ({
      job_type: 'command',
      requested_gpus: 0,
      job_params: {},
      ...(array && { array }),
    }) as SubmitJobRequestDto;

  it('names the job, and why it waits when it does', () => {
    expect(submittedMessage(item({}), body())).toBe('Submitted train.');
    expect(submittedMessage(item({ name: null, pending_reason: 'waiting for 2 GPUs' }), body())).toBe(
      'Queued q_1_aa: waiting for 2 GPUs',
    );
  });

  it('names an array and its size (count × sweep points), not its first job', () => {
    const first = item({ name: 'train [0]', array_id: 'a_1_bb' });
    expect(submittedMessage(first, body({ count: 2 }))).toBe('Submitted array a_1_bb (2 jobs).');
    expect(submittedMessage(first, body({ count: 2, sweep: { lr: [1, 2, 3] } }))).toBe(
      'Submitted array a_1_bb (6 jobs).',
    );
    expect(submittedMessage(first, body({ sweep: { lr: [1] } }))).toBe('Submitted array a_1_bb (1 job).');
  });
});

describe('lines', () => {
  it('splits on newlines, drops CRs and empty lines, keeps spaces', () => {
    expect(lines('a\r\n\n b \nc')).toEqual(['a', ' b ', 'c']);
    expect(lines('')).toEqual([]);
  });
});

describe('one-line lists', () => {
  const type = jobType([param({ name: 'argv', type: 'string_list', required: true, min: 1 })]);

  it('splits a command typed on one line like a shell, quotes kept together', () => {
    expect(bodyOf(type, values({ argv: `python train.py --name "my run" --tag 'a b'` })).job_params).toEqual({
      argv: ['python', 'train.py', '--name', 'my run', '--tag', 'a b'],
    });
  });

  it('still reads several lines as one argument per line, verbatim', () => {
    expect(bodyOf(type, values({ argv: 'echo\nhello world' })).job_params).toEqual({
      argv: ['echo', 'hello world'],
    });
  });
});

describe('valuesFromJob', () => {
  const type = jobType([
    param({ name: 'argv', type: 'string_list', required: true }),
    param({ name: 'dry', type: 'boolean', default: true }),
    param({ name: 'epochs', type: 'integer', default: 3 }),
  ]);
  const job = {
    job_type: 'trainer',
    name: 'nightly',
    job_params: { argv: ['python', 'train.py', '--name', 'my run'], dry: false, gone: 1 },
    requested_gpus: 2,
    priority: -1,
    cwd: '/work/proj',
    env: { WANDB_MODE: 'offline', A: 'x=y' },
    preemptible: true,
    time_limit_s: 5400,
    kill_grace_s: 120,
    log_cap_bytes: 65_536,
    depends_on: [{ queue_id: 'q_1700000000000_0a1b2c3d', condition: 'after_any' }],
    array_id: 'a_1700000000000_0a1b2c3d',
  } as unknown as JobDto;

  it('fills the form from the job, and submitting it sends the same request', () => {
    const v = valuesFromJob(type, job);
    expect(v).toEqual({
      params: { argv: "python train.py --name 'my run'", dry: false, epochs: '3' },
      gpus: '2',
      priority: '-1',
      name: 'nightly',
      cwd: '/work/proj',
      env: 'WANDB_MODE=offline\nA=x=y',
      preemptible: true,
      gpuProfile: '',
      timeLimit: '1h30m',
      killGrace: '2m',
      logCap: '64K',
      dependsOn: [{ queueId: 'q_1700000000000_0a1b2c3d', condition: 'after_any' }],
      // One job of an array resubmits as one job.
      arrayCount: '',
      arrayMaxRunning: '',
    });
    expect(bodyOf(type, v)).toEqual({
      job_type: 'trainer',
      requested_gpus: 2,
      priority: -1,
      name: 'nightly',
      cwd: '/work/proj',
      env: { WANDB_MODE: 'offline', A: 'x=y' },
      preemptible: true,
      time_limit_s: 5400,
      kill_grace_s: 120,
      log_cap_bytes: 65_536,
      depends_on: [{ queue_id: 'q_1700000000000_0a1b2c3d', condition: 'after_any' }],
      job_params: { argv: ['python', 'train.py', '--name', 'my run'], dry: false, epochs: 3 },
    });
  });

  it('leaves kill grace and log cap blank for a job that took the defaults, and keeps 0 and none', () => {
    const defaults = valuesFromJob(type, { ...job, kill_grace_s: null, log_cap_bytes: null } as JobDto);
    expect(defaults).toMatchObject({ killGrace: '', logCap: '' });
    expect(bodyOf(type, defaults)).not.toHaveProperty('kill_grace_s');
    expect(bodyOf(type, defaults)).not.toHaveProperty('log_cap_bytes');
    const zero = valuesFromJob(type, { ...job, kill_grace_s: 0, log_cap_bytes: 0 } as JobDto);
    expect(zero).toMatchObject({ killGrace: '0', logCap: 'none' });
    expect(bodyOf(type, zero)).toMatchObject({ kill_grace_s: 0, log_cap_bytes: 0 });
  });
});

describe('kill grace and log cap', () => {
  const type = jobType([param({ name: 'argv', type: 'string_list', required: true })]);

  it.each<[string, number]>([
    ['30s', 30],
    ['2m', 120],
    ['90', 90],
    ['0', 0],
    ['1h', 3600],
  ])('sends kill grace %j as %d seconds', (text, seconds) => {
    expect(bodyOf(type, values({ argv: 'x' }, { killGrace: text })).kill_grace_s).toBe(seconds);
  });

  it.each(['1h1s', 'soon', '-5', 'none'])('stops kill grace %j under its field', (text) => {
    expect(errorsOf(type, values({ argv: 'x' }, { killGrace: text }))).toEqual({
      kill_grace_s: KILL_GRACE_HINT,
    });
  });

  it.each<[string, number]>([
    ['64K', 65_536],
    ['1G', 1024 ** 3],
    ['none', 0],
    ['4096', 4096],
  ])('sends log cap %j as %d bytes', (text, bytes) => {
    expect(bodyOf(type, values({ argv: 'x' }, { logCap: text })).log_cap_bytes).toBe(bytes);
  });

  it.each(['1K', '4095', 'lots', '-1'])('stops log cap %j under its field', (text) => {
    expect(errorsOf(type, values({ argv: 'x' }, { logCap: text }))).toEqual({ log_cap_bytes: LOG_CAP_HINT });
  });
});

describe('MIG profile', () => {
  const type = jobType([param({ name: 'argv', type: 'string_list', required: true })]);

  it('sends gpu_profile with requested_gpus as the number of MIG devices, and refills it on resubmit', () => {
    const body = bodyOf(type, values({ argv: 'python t.py' }, { gpus: '2', gpuProfile: '1g.10gb' }));
    expect(body).toMatchObject({ requested_gpus: 2, gpu_profile: '1g.10gb' });
    expect(bodyOf(type, values({ argv: 'python t.py' }))).not.toHaveProperty('gpu_profile');

    const job = {
      job_params: { argv: ['x'] },
      requested_gpus: 2,
      priority: 0,
      cwd: '/w',
      env: {},
      time_limit_s: null,
      depends_on: [],
    };
    expect(valuesFromJob(type, { ...job, gpu_profile: '2g.20gb' } as unknown as JobDto).gpuProfile).toBe(
      '2g.20gb',
    );
    expect(valuesFromJob(type, { ...job, gpu_profile: null } as unknown as JobDto).gpuProfile).toBe('');
  });

  it('lists the profiles present, by name, with free counts (held or on an unusable GPU is not free)', () => {
    const dev = (profile: string, reserved_by: string | null = null) => ({ profile, reserved_by });
    const gpus = [
      { disabled: false, excluded: false, mig_devices: [] },
      {
        disabled: false,
        excluded: false,
        mig_devices: [dev('2g.20gb'), dev('1g.10gb', 'q_1'), dev('1g.10gb')],
      },
      { disabled: true, excluded: false, mig_devices: [dev('1g.10gb')] },
    ] as unknown as GpuDto[];
    expect(migProfileOptions(gpus)).toEqual([
      { profile: '1g.10gb', free: 1, total: 3 },
      { profile: '2g.20gb', free: 1, total: 1 },
    ]);
    expect(migProfileOptions([])).toEqual([]);
  });
});

describe('serviceFormField', () => {
  it.each([
    ['name', 'service_name'],
    ['type', 'job_type'],
    ['args.argv', 'job_params.argv'],
    ['args.env.FOO', 'job_params.env'],
    ['requested_gpus', 'requested_gpus'],
    ['priority', 'priority'],
    ['args', 'args'],
  ])('%s → %s', (field, expected) => {
    expect(serviceFormField(field)).toBe(expected);
  });
});

describe('SERVICE_NAME', () => {
  it.each([
    ['llama-8b', true],
    ['docs_site_2', true],
    ['', false],
    ['web site', false],
    ['a/b', false],
    ['näme', false],
    ['x.y', false],
  ])('%j → %s', (name, ok) => {
    expect(SERVICE_NAME.test(name)).toBe(ok);
  });
});
