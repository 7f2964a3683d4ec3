import { BUILTIN_JOB_TYPES } from './builtin-job-types';
import { JobTypeDefinition, LaunchSpec } from './job-type';
import { validateJobParams } from './validate-job-params';

const QUEUE_ID = 'q_1735689600000_0a1b2c3d';

function type(name: string): JobTypeDefinition {
  const def = BUILTIN_JOB_TYPES.find((d) => d.name === name);
  if (def === undefined) throw new Error(`no built-in type ${name}`);
  return def;
}

/** Validate the way the submit handler does, then build the way the launcher does. */
function build(name: string, raw: Record<string, unknown>, gpuIndices: number[] = []): LaunchSpec {
  const def = type(name);
  const { params, errors } = validateJobParams(def, raw);
  expect(errors).toEqual([]);
  return def.build({
    queueId: QUEUE_ID,
    params,
    gpuIndices,
    requestedGpus: gpuIndices.length,
    secretsDir: '/state/secrets',
  });
}

describe('built-in job types', () => {
  it.each<{ type: string; params: Record<string, unknown>; gpus?: number[]; argv: string[] }>([
    // command
    {
      type: 'command',
      params: { argv: ['echo', 'a b', '$HOME', ';rm'] },
      argv: ['echo', 'a b', '$HOME', ';rm'],
    },
    // training
    {
      type: 'training',
      params: { script: 'train.py', args: ['--lr', '1e-3'] },
      gpus: [2, 5],
      argv: ['torchrun', '--standalone', '--nproc-per-node', '2', 'train.py', '--lr', '1e-3'],
    },
    {
      type: 'training',
      params: { script: 'train.py' },
      gpus: [],
      argv: ['torchrun', '--standalone', '--nproc-per-node', '1', 'train.py'],
    },
    {
      type: 'training',
      params: { script: 'train.py', nproc_per_node: 4, torchrun: '/venv/bin/torchrun' },
      gpus: [0],
      argv: ['/venv/bin/torchrun', '--standalone', '--nproc-per-node', '4', 'train.py'],
    },
    // tensorboard
    {
      type: 'tensorboard',
      params: { logdir: '/runs', port: 6006 },
      argv: [
        'tensorboard',
        '--logdir',
        '/runs',
        '--port',
        '6006',
        '--path_prefix',
        `/api/tb/${QUEUE_ID}`,
        '--host',
        '127.0.0.1',
      ],
    },
    {
      type: 'tensorboard',
      params: { logdir: '/runs', port: 6006, bind_all: true },
      argv: [
        'tensorboard',
        '--logdir',
        '/runs',
        '--port',
        '6006',
        '--path_prefix',
        `/api/tb/${QUEUE_ID}`,
        '--bind_all',
      ],
    },
    // mkdocs
    {
      type: 'mkdocs',
      params: { config_file: '/repo/mkdocs.yml', port: 9999 },
      argv: ['mkdocs', 'serve', '-f', '/repo/mkdocs.yml', '-a', '127.0.0.1:9999'],
    },
    {
      type: 'mkdocs',
      params: {
        config_file: 'mkdocs.yml',
        port: 8000,
        host: 'localhost',
        strict: true,
        livereload: false,
        dirty: true,
        watch: ['/repo/docs'],
      },
      argv: [
        'mkdocs',
        'serve',
        '-f',
        'mkdocs.yml',
        '-a',
        'localhost:8000',
        '--strict',
        '--no-livereload',
        '--dirty',
        '-w',
        '/repo/docs',
      ],
    },
    // forgather preset
    {
      type: 'eval',
      params: { eval_config: 'c4', model: 'output_models/m', args: ['--batch-size', '8'] },
      gpus: [0],
      argv: ['forgather', 'eval', 'test', 'c4', '-M', 'output_models/m', '--batch-size', '8'],
    },
    {
      type: 'convert',
      params: { src: 'output_models/m', dst: '/tmp/hf' },
      argv: ['forgather', 'convert', '--src', 'output_models/m', '--dst', '/tmp/hf'],
    },
    {
      type: 'convert',
      params: { src: '/hf', dst: '/fg', reverse: true, args: ['--dtype', 'bfloat16'] },
      argv: ['forgather', 'convert', '--src', '/hf', '--dst', '/fg', '--reverse', '--dtype', 'bfloat16'],
    },
    {
      type: 'finalize',
      params: { source: 'output_models/m', dest: '/tmp/final' },
      argv: ['forgather', 'finalize', '--source', 'output_models/m', '--dest', '/tmp/final'],
    },
    {
      type: 'update',
      params: { src: 'a', dst: 'b', args: ['--dry-run'] },
      argv: ['forgather', 'update', '--src', 'a', '--dst', 'b', '--dry-run'],
    },
    {
      type: 'model',
      params: { config: 'tiny.yaml', args: ['test', '--steps', '2'] },
      argv: ['forgather', '-t', 'tiny.yaml', 'model', 'test', '--steps', '2'],
    },
    {
      type: 'dataset',
      params: { project_dir: '/p', config: 'ds.yaml' },
      argv: ['forgather', '-p', '/p', '-t', 'ds.yaml', 'dataset'],
    },
  ])('$type $params → $argv', ({ type: name, params, gpus, argv }) => {
    const launch = build(name, params, gpus);

    expect(launch).toEqual({ argv, env: {}, secretFiles: [] });
  });

  it.each<{ type: string; params: Record<string, unknown>; field: string }>([
    { type: 'command', params: {}, field: 'argv' },
    { type: 'command', params: { argv: 'ls -l' }, field: 'argv' },
    { type: 'training', params: { script: 'a.py', nproc_per_node: '2' }, field: 'nproc_per_node' },
    { type: 'inference', params: { model: '/m', port: 0 }, field: 'port' },
    { type: 'inference', params: { model: '/m', port: 65536 }, field: 'port' },
    { type: 'inference', params: { model: '/m', port: 8000, server: 'tgi' }, field: 'server' },
    { type: 'tensorboard', params: { logdir: '/runs' }, field: 'port' },
    { type: 'mkdocs', params: { port: 8000 }, field: 'config_file' },
    { type: 'eval', params: { model: '/m' }, field: 'eval_config' },
    { type: 'convert', params: { src: '/a', dst: '/b', extra: 1 }, field: 'extra' },
  ])('$type rejects $params at $field', ({ type: name, params, field }) => {
    const { errors } = validateJobParams(type(name), params);

    expect(errors.map((e) => e.field)).toEqual([`job_params.${field}`]);
  });

  it.each<{ name: string; defaultGpus: number; port?: string }>([
    { name: 'command', defaultGpus: 0 },
    { name: 'training', defaultGpus: 1 },
    { name: 'inference', defaultGpus: 1, port: 'port' },
    { name: 'tensorboard', defaultGpus: 0, port: 'port' },
    { name: 'mkdocs', defaultGpus: 0, port: 'port' },
    { name: 'dataset_server', defaultGpus: 0, port: 'port' },
    { name: 'eval', defaultGpus: 1 },
    { name: 'convert', defaultGpus: 0 },
    { name: 'finalize', defaultGpus: 0 },
    { name: 'update', defaultGpus: 0 },
    { name: 'model', defaultGpus: 1 },
    { name: 'dataset', defaultGpus: 0 },
  ])('$name: default GPUs $defaultGpus', (row) => {
    const def = type(row.name);

    expect({
      defaultGpus: def.defaultGpus,
      port: def.servicePortParam,
    }).toEqual({ defaultGpus: row.defaultGpus, port: row.port });
  });

  it('no built-in type lets its GPU-less jobs see the server GPUs (CUDA_VISIBLE_DEVICES="")', () => {
    // tensorboard, mkdocs and the Forgather tools used to inherit every GPU.
    expect(
      BUILTIN_JOB_TYPES.filter((d) => d.gpuless_sees_server_gpus !== undefined).map((d) => d.name),
    ).toEqual([]);
  });

  it('lists exactly the documented types, each schema self-consistent', () => {
    expect(BUILTIN_JOB_TYPES.map((d) => d.name)).toEqual([
      'command',
      'training',
      'inference',
      'tensorboard',
      'mkdocs',
      'dataset_server',
      'eval',
      'convert',
      'finalize',
      'update',
      'model',
      'dataset',
    ]);
    for (const def of BUILTIN_JOB_TYPES) {
      // Defaults must pass their own validation, or omitting the param would break the job.
      const defaults = Object.fromEntries(
        def.params.filter((p) => p.default !== undefined).map((p) => [p.name, p.default]),
      );
      expect(
        validateJobParams(def, defaults).errors.filter((e) => !e.message.endsWith('is required')),
      ).toEqual([]);
      if (def.servicePortParam !== undefined) {
        expect(def.params.find((p) => p.name === def.servicePortParam)?.type).toBe('integer');
      }
      // Every service type says where it listens (the proxies ask it), and only service types do.
      expect(def.endpoint !== undefined).toBe(def.servicePortParam !== undefined);
    }
  });

  describe('endpoint(): where a running service job answers, as build() launched it', () => {
    const ctx = (params: Record<string, unknown>) => ({ queueId: 'q_1', params, secretsDir: '/s' });

    it('inference: its bind host and port, and the token file build() writes', () => {
      const def = type('inference');
      const params = {
        server: 'vllm',
        model: 'm',
        host: '127.0.0.2',
        port: 8001,
        extra_args: [],
        auth: true,
      };
      const launched = def.build({ ...ctx(params), gpuIndices: [], requestedGpus: 0 });
      expect(def.endpoint!(ctx(params))).toEqual({
        scheme: 'http',
        host: '127.0.0.2',
        bindHost: '127.0.0.2',
        port: 8001,
        pathPrefix: '',
        tokenFile: launched.secretFiles[0].path,
      });
      expect(def.endpoint!(ctx({ ...params, auth: false, host: '0.0.0.0' }))).toMatchObject({
        host: '127.0.0.1',
        bindHost: '0.0.0.0',
        tokenFile: undefined,
      });
    });

    it('tensorboard: loopback (even with bind_all) under the --path_prefix build() passes', () => {
      const def = type('tensorboard');
      const params = { logdir: '/l', port: 6006, bind_all: true };
      const argv = def.build({ ...ctx(params), gpuIndices: [], requestedGpus: 0 }).argv;
      const endpoint = def.endpoint!(ctx(params));
      expect(endpoint).toMatchObject({ host: '127.0.0.1', port: 6006 });
      expect(argv[argv.indexOf('--path_prefix') + 1]).toBe(endpoint.pathPrefix);
    });

    it('dataset_server: token file on argv (never the token), the same file endpoint() names', () => {
      const def = type('dataset_server');
      const params = { host: '127.0.0.1', port: 8766, auth: true, extra_args: [] };
      const launched = def.build({ ...ctx(params), gpuIndices: [], requestedGpus: 0 });
      const file = def.endpoint!(ctx(params)).tokenFile;
      expect(file).toBe('/s/q_1.dataset-server-token');
      expect(launched.secretFiles.map((f) => f.path)).toEqual([file]);
      expect(launched.argv).toContain(file);
      expect(launched.argv.join(' ')).not.toContain(launched.secretFiles[0].content);
    });
  });
});
