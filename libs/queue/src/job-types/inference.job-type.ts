import { randomBytes } from 'node:crypto';
import { JobTypeDefinition, LaunchSpec } from './job-type';
import {
  getBoolean,
  getNumber,
  getString,
  getStringList,
  httpEndpoint,
  jobSecretPath,
  param,
  portParam,
} from './job-type-helpers';

/** Where an inference job's bearer token lives; the inference proxy reads it from here too. */
export function inferenceTokenPath(secretsDir: string, queueId: string): string {
  return jobSecretPath(secretsDir, queueId, 'inference-token');
}

/**
 * vLLM takes its key from `--api-key` (visible in ps and /proc/<pid>/cmdline to every local user) or
 * from VLLM_API_KEY. So a tiny POSIX sh wrapper reads the token file into VLLM_API_KEY and execs the
 * real command: argv only ever carries the file's path. `$0` is a label for ps, `$1` the token file,
 * the rest the vllm command.
 */
export const VLLM_AUTH_WRAPPER =
  'VLLM_API_KEY="$(cat -- "$1")" || exit 1; export VLLM_API_KEY; shift; exec "$@"';

export const inferenceJobType: JobTypeDefinition = {
  name: 'inference',
  description: 'OpenAI-compatible inference server (vLLM or forgather), bearer-token protected by default.',
  params: [
    param('server', 'choice', 'Server implementation', { choices: ['vllm', 'forgather'], default: 'vllm' }),
    param('model', 'path', 'Model directory or name', { required: true, path_kind: 'dir' }),
    param('host', 'string', 'Bind address', { default: '127.0.0.1' }),
    portParam('Listening port'),
    param('extra_args', 'string_list', 'Extra server arguments appended verbatim', { default: [] }),
    param('auth', 'boolean', 'Require a per-job bearer token', { default: true }),
  ],
  defaultGpus: 1,
  servicePortParam: 'port',
  endpoint: ({ params, queueId, secretsDir }) =>
    httpEndpoint(getString(params, 'host'), getNumber(params, 'port'), {
      tokenFile: getBoolean(params, 'auth') ? inferenceTokenPath(secretsDir, queueId) : undefined,
    }),
  // A server: runs until stopped, whatever the server's default time limit.
  defaultTimeLimitS: null,
  build: ({ params, queueId, secretsDir }): LaunchSpec => {
    const model = getString(params, 'model');
    const host = getString(params, 'host');
    const port = String(getNumber(params, 'port'));
    const extra = getStringList(params, 'extra_args');
    const auth = getBoolean(params, 'auth');
    const tokenFile = auth ? inferenceTokenPath(secretsDir, queueId) : undefined;
    const secretFiles = tokenFile
      ? [{ path: tokenFile, content: randomBytes(32).toString('base64url') }]
      : [];

    if (getString(params, 'server') === 'forgather') {
      const authArgs = tokenFile ? ['--auth-token-file', tokenFile] : ['--no-auth'];
      return {
        argv: ['forgather', 'inf', 'server', '-m', model, '-H', host, '-p', port, ...authArgs, ...extra],
        env: {},
        secretFiles,
      };
    }
    const vllm = ['vllm', 'serve', model, '--host', host, '--port', port, ...extra];
    return {
      argv: tokenFile ? ['/bin/sh', '-c', VLLM_AUTH_WRAPPER, 'vllm-auth', tokenFile, ...vllm] : vllm,
      env: {},
      secretFiles,
    };
  },
};
