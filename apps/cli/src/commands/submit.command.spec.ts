import { buildSubmitBody } from './submit.command';

const base = { type: 'command' };

describe(buildSubmitBody.name, () => {
  it('puts the argv after -- into job_params.argv and takes the type default for GPUs', () => {
    expect(buildSubmitBody(base, ['echo', '--flag'], 0)).toEqual({
      job_type: 'command',
      requested_gpus: 0,
      job_params: { argv: ['echo', '--flag'] },
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
      },
      [],
      1,
    );
    expect(sut).toEqual({
      job_type: 'training',
      requested_gpus: 2,
      priority: -3,
      env: { A: '1', B: 'x=y' },
      cwd: '/work',
      name: 'run 1',
      job_params: { lr: 0.001, steps: 10, config: 'train.yaml', extra: { k: [1] } },
    });
  });

  it('refuses a bad --gpus before asking the server', () => {
    expect(() => buildSubmitBody({ ...base, gpus: 'many' }, ['true'], 0)).toThrow(
      /--gpus must be a whole number/,
    );
  });
});
