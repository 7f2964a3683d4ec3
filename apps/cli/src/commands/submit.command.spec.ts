import { CliError, EXIT } from '../errors';
import { buildSubmitBody, parseAfter } from './submit.command';

const base = { type: 'command' };

describe(buildSubmitBody.name, () => {
  it('refuses argv given both by --param and after `--` (one would be dropped)', () => {
    for (const options of [
      { ...base, param: ['argv=x'] },
      { ...base, paramJson: '{"argv": ["x"]}' },
    ])
      expect(() => buildSubmitBody(options, ['echo', 'hi'], 0, '/home/me')).toThrow(
        expect.objectContaining({
          exitCode: EXIT.invalid,
          message:
            'argv is given twice: by --param (or --param-json) and by the words after `--`; give it once',
        }),
      );
  });

  it('puts the argv after -- into job_params.argv and takes the type default for GPUs', () => {
    expect(buildSubmitBody(base, ['echo', '--flag'], 0, '/home/me/proj')).toEqual({
      job_type: 'command',
      requested_gpus: 0,
      job_params: { argv: ['echo', '--flag'] },
      cwd: '/home/me/proj',
    });
  });

  it('maps every flag', () => {
    const sut = buildSubmitBody(
      {
        type: 'training',
        gpus: '2',
        priority: '-3',
        env: ['A=1', 'B=x=y'],
        cwd: '/work',
        name: 'run 1',
        param: ['lr=0.001', 'config=train.yaml', 'extra={"k":[1]}'],
        paramJson: '{"lr":1,"steps":10}',
        timeLimit: '1h30m',
        killGrace: '3s',
        logCap: '8k',
        preemptible: true,
      },
      [],
      1,
      '/home/me',
    );
    expect(sut).toEqual({
      job_type: 'training',
      requested_gpus: 2,
      priority: -3,
      env: { A: '1', B: 'x=y' },
      cwd: '/work',
      name: 'run 1',
      time_limit_s: 5400,
      kill_grace_s: 3,
      log_cap_bytes: 8192,
      preemptible: true,
      job_params: { lr: 0.001, steps: 10, config: 'train.yaml', extra: { k: [1] } },
    });
  });

  it('sends --hold as held: true, and nothing without it', () => {
    expect(buildSubmitBody({ ...base, hold: true }, ['true'], 0, '/')).toMatchObject({ held: true });
    expect(buildSubmitBody(base, ['true'], 0, '/')).not.toHaveProperty('held');
  });

  it('sends --gpu-profile as gpu_profile (--gpus then counts MIG devices), and nothing without it', () => {
    expect(buildSubmitBody({ ...base, gpus: '2', gpuProfile: '1g.10gb' }, ['true'], 0, '/')).toMatchObject({
      requested_gpus: 2,
      gpu_profile: '1g.10gb',
    });
    expect(buildSubmitBody({ ...base, gpus: '2' }, ['true'], 0, '/')).not.toHaveProperty('gpu_profile');
  });

  it('refuses a bad --gpus before asking the server', () => {
    expect(() => buildSubmitBody({ ...base, gpus: 'many' }, ['true'], 0, '/')).toThrow(
      /--gpus must be a whole number/,
    );
  });

  it.each([
    [undefined, '/home/me/proj', '/home/me/proj'],
    ['.', '/home/me/proj', '/home/me/proj'],
    ['data/run1', '/home/me/proj', '/home/me/proj/data/run1'],
    ['../other', '/home/me/proj', '/home/me/other'],
    ['/abs/dir', '/home/me/proj', '/abs/dir'],
  ])('runs the job where the caller is: --cwd %s from %s → %s', (cwd, caller, expected) => {
    expect(buildSubmitBody({ cwd }, ['true'], 0, caller)).toMatchObject({
      job_type: 'command',
      cwd: expected,
    });
  });
});

describe('dependencies and arrays flags', () => {
  it('--after takes an id with an optional condition, long or short (default after_ok)', () => {
    expect(parseAfter('q_1')).toEqual({ queue_id: 'q_1', condition: 'after_ok' });
    expect(parseAfter('q_1:any')).toEqual({ queue_id: 'q_1', condition: 'after_any' });
    expect(parseAfter('q_1:after_not_ok')).toEqual({ queue_id: 'q_1', condition: 'after_not_ok' });
    expect(() => parseAfter('q_1:later')).toThrow(CliError);
  });

  it('--array, --sweep (values kept as typed) and --max-running make the array body', () => {
    const body = buildSubmitBody(
      { after: ['q_1', 'q_2:start'], array: '2', sweep: ['lr=1e-3,1e-4', 'bs=16'], maxRunning: '3' },
      ['python', 'train.py', '--lr', '{lr}'],
      0,
      '/w',
    );
    expect(body.depends_on).toEqual([
      { queue_id: 'q_1', condition: 'after_ok' },
      { queue_id: 'q_2', condition: 'after_start' },
    ]);
    expect(body.array).toEqual({ count: 2, sweep: { lr: ['1e-3', '1e-4'], bs: ['16'] }, max_running: 3 });
  });

  it('refuses --max-running alone, a zero --array and a repeated --sweep key', () => {
    expect(() => buildSubmitBody({ maxRunning: '2' }, ['true'], 0, '/w')).toThrow(/needs --array or --sweep/);
    expect(() => buildSubmitBody({ array: '0' }, ['true'], 0, '/w')).toThrow(/at least 1/);
    expect(() => buildSubmitBody({ sweep: ['a=1', 'a=2'] }, ['true'], 0, '/w')).toThrow(/twice/);
  });

  it('refuses an empty --sweep value (a typo, not a sweep over nothing)', () => {
    for (const sweep of ['lr=', 'lr=1e-3,,1e-4', 'lr=1e-3,'])
      expect(() => buildSubmitBody({ sweep: [sweep] }, ['true'], 0, '/w')).toThrow(
        new CliError(`--sweep ${sweep}: empty value (give lr=v1,v2,...)`),
      );
  });
});
