import { buildSubmitBody } from './submit.command';

const base = { type: 'command' };

describe(buildSubmitBody.name, () => {
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
      job_params: { lr: 0.001, steps: 10, config: 'train.yaml', extra: { k: [1] } },
    });
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
