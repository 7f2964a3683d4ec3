import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inferenceJobType, inferenceTokenPath } from './inference.job-type';
import { LaunchSpec } from './job-type';
import { validateJobParams } from './validate-job-params';

const QUEUE_ID = 'q_1735689600000_0a1b2c3d';
const SECRETS = '/state/secrets';
const TOKEN_FILE = `${SECRETS}/${QUEUE_ID}.inference-token`;

function sut(raw: Record<string, unknown>, secretsDir = SECRETS): LaunchSpec {
  const { params, errors } = validateJobParams(inferenceJobType, raw);
  expect(errors).toEqual([]);
  return inferenceJobType.build({ queueId: QUEUE_ID, params, gpuIndices: [0], requestedGpus: 1, secretsDir });
}

describe('inference job type', () => {
  const base = { model: '/models/llama', port: 8137 };

  it.each<{ name: string; params: Record<string, unknown>; argv: string[] }>([
    {
      name: 'vllm with auth: the token file path reaches a wrapper, the token never does',
      params: { ...base, extra_args: ['--dtype', 'bfloat16'] },
      argv: [
        '/bin/sh',
        '-c',
        expect.stringContaining('VLLM_API_KEY'),
        'vllm-auth',
        TOKEN_FILE,
        'vllm',
        'serve',
        '/models/llama',
        '--host',
        '127.0.0.1',
        '--port',
        '8137',
        '--dtype',
        'bfloat16',
      ],
    },
    {
      name: 'vllm without auth',
      params: { ...base, auth: false, host: '0.0.0.0' },
      argv: ['vllm', 'serve', '/models/llama', '--host', '0.0.0.0', '--port', '8137'],
    },
    {
      name: 'forgather with auth',
      params: { ...base, server: 'forgather', extra_args: ['--compile'] },
      argv: [
        'forgather',
        'inf',
        'server',
        '-m',
        '/models/llama',
        '-H',
        '127.0.0.1',
        '-p',
        '8137',
        '--auth-token-file',
        TOKEN_FILE,
        '--compile',
      ],
    },
    {
      name: 'forgather without auth opts out explicitly (it would otherwise print a token to the log)',
      params: { ...base, server: 'forgather', auth: false },
      argv: [
        'forgather',
        'inf',
        'server',
        '-m',
        '/models/llama',
        '-H',
        '127.0.0.1',
        '-p',
        '8137',
        '--no-auth',
      ],
    },
  ])('$name', ({ params, argv }) => {
    expect(sut(params).argv).toEqual(argv);
  });

  it.each(['vllm', 'forgather'])(
    '%s: writes a fresh random token to the secrets dir, never onto argv or env',
    (server) => {
      const first = sut({ ...base, server });
      const second = sut({ ...base, server });

      expect(first.secretFiles).toEqual([
        { path: TOKEN_FILE, content: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) },
      ]);
      const token = first.secretFiles[0].content;
      expect(second.secretFiles[0].content).not.toBe(token);
      expect(first.argv.some((a) => a.includes(token))).toBe(false);
      expect(JSON.stringify(first.env)).not.toContain(token);
    },
  );

  it.each(['vllm', 'forgather'])('%s without auth: no secret files', (server) => {
    expect(sut({ ...base, server, auth: false }).secretFiles).toEqual([]);
  });

  it.each(['../escape', 'a/b', '', '.'])(
    'refuses a queue id that is not a plain file name: %p',
    (queueId) => {
      expect(() => inferenceTokenPath(SECRETS, queueId)).toThrow(/invalid queue id/);
    },
  );

  describe('vLLM auth wrapper, run by a real /bin/sh', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'trainyard-vllm-'));
      // A stand-in `vllm` that reports what it received.
      writeFileSync(
        join(dir, 'vllm'),
        '#!/bin/sh\nprintf "key=%s\\n" "$VLLM_API_KEY"\nfor a in "$@"; do printf "arg=%s\\n" "$a"; done\n',
      );
      chmodSync(join(dir, 'vllm'), 0o755);
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    function run(launch: LaunchSpec) {
      const [cmd, ...args] = launch.argv;
      return spawnSync(cmd, args, { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' });
    }

    it('exports the token from the file and execs vllm with the exact arguments', () => {
      const launch = sut({ ...base, extra_args: ['--served-model-name', 'a b'] }, dir);
      for (const f of launch.secretFiles) writeFileSync(f.path, f.content, { mode: 0o600 });

      const result = run(launch);

      expect(result.status).toBe(0);
      expect(result.stdout.split('\n')).toEqual([
        `key=${launch.secretFiles[0].content}`,
        'arg=serve',
        'arg=/models/llama',
        'arg=--host',
        'arg=127.0.0.1',
        'arg=--port',
        'arg=8137',
        'arg=--served-model-name',
        'arg=a b',
        '',
      ]);
    });

    it('fails instead of starting an unprotected server when the token file is missing', () => {
      const result = run(sut(base, dir));

      expect(result.status).not.toBe(0);
      expect(result.stdout).toBe('');
    });
  });
});
