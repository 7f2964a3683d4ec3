import { BUILTIN_JOB_TYPES } from './builtin-job-types';
import { describeJobType } from './describe-job-type';
import { inferenceJobType } from './inference.job-type';
import { JobTypeDefinition } from './job-type';
import { JobTypeRegistry } from './job-type-registry';
import { JobTypeConfigError } from './user-job-type';

const custom: JobTypeDefinition = {
  name: 'custom',
  description: 'test type',
  params: [],
  defaultGpus: 0,
  build: () => ({ argv: ['true'], env: {}, secretFiles: [] }),
};

describe(JobTypeRegistry.name, () => {
  it('starts empty and returns what was registered, in order', () => {
    const sut = new JobTypeRegistry();
    expect(sut.list()).toEqual([]);

    sut.register(custom);

    expect(sut.get('custom')).toBe(custom);
    expect(sut.get('nope')).toBeUndefined();
    expect(sut.list()).toEqual([custom]);
  });

  it('refuses a second type with the same name', () => {
    const sut = new JobTypeRegistry();
    sut.register(custom);

    expect(() => sut.register({ ...custom })).toThrow(
      new JobTypeConfigError('job type "custom" is already registered'),
    );
  });

  it('withBuiltins() without user types holds exactly the built-ins', () => {
    expect(JobTypeRegistry.withBuiltins().list()).toEqual(BUILTIN_JOB_TYPES);
  });
});

describe(describeJobType.name, () => {
  it('serves the snake_case shape of GET /api/job-types', () => {
    expect(describeJobType(inferenceJobType)).toEqual({
      name: 'inference',
      description: inferenceJobType.description,
      params: [
        {
          name: 'server',
          type: 'choice',
          required: false,
          default: 'vllm',
          choices: ['vllm', 'forgather'],
          description: 'Server implementation',
        },
        {
          name: 'model',
          type: 'path',
          required: true,
          path_kind: 'dir',
          description: 'Model directory or name',
        },
        { name: 'host', type: 'string', required: false, default: '127.0.0.1', description: 'Bind address' },
        { name: 'port', type: 'integer', required: true, description: 'Listening port', min: 1, max: 65535 },
        {
          name: 'extra_args',
          type: 'string_list',
          required: false,
          default: [],
          description: 'Extra server arguments appended verbatim',
        },
        {
          name: 'auth',
          type: 'boolean',
          required: false,
          default: true,
          description: 'Require a per-job bearer token',
        },
      ],
      default_gpus: 1,
      service_port_param: 'port',
      can_be_service: true,
    });
  });

  it('says which types can be services: not those that run to completion; user types can', () => {
    const capable = Object.fromEntries(
      BUILTIN_JOB_TYPES.map((d) => [d.name, describeJobType(d).can_be_service]),
    );
    expect(capable).toMatchObject({
      training: false,
      command: true,
      inference: true,
      tensorboard: true,
      mkdocs: true,
    });
    expect(describeJobType(custom).can_be_service).toBe(true);
  });

  it('reports no service port as null, and survives JSON round-trips for every built-in', () => {
    for (const def of BUILTIN_JOB_TYPES) {
      const described = describeJobType(def);
      expect(JSON.parse(JSON.stringify(described))).toEqual(described);
    }
    expect(describeJobType(custom).service_port_param).toBeNull();
  });

  it('hands out copies, so callers cannot change a schema default', () => {
    (describeJobType(inferenceJobType).params[4].default as string[]).push('leak');

    expect(inferenceJobType.params[4].default).toEqual([]);
  });
});
