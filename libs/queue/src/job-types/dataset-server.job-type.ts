import { randomBytes } from 'node:crypto';
import { JobTypeDefinition } from './job-type';
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

/** Where a dataset_server job's bearer token lives; the dataset proxy reads it from here too. */
export function datasetServerTokenPath(secretsDir: string, queueId: string): string {
  return jobSecretPath(secretsDir, queueId, 'dataset-server-token');
}

/**
 * forgather's dataset_server (`/v1/*` over HTTP). Like inference it is bearer-protected by default:
 * the token goes in a 0600 file whose path (never the token) is on the command line.
 */
export const datasetServerJobType: JobTypeDefinition = {
  name: 'dataset_server',
  description:
    'forgather dataset_server: serves datasets over HTTP to training jobs, bearer-token protected.',
  params: [
    param('host', 'string', 'Bind address', { default: '127.0.0.1' }),
    portParam('Listening port'),
    param('auth', 'boolean', 'Require a per-job bearer token', { default: true }),
    param('extra_args', 'string_list', 'Extra server arguments appended verbatim', { default: [] }),
  ],
  defaultGpus: 0,
  servicePortParam: 'port',
  endpoint: ({ params, queueId, secretsDir }) =>
    httpEndpoint(getString(params, 'host'), getNumber(params, 'port'), {
      tokenFile: getBoolean(params, 'auth') ? datasetServerTokenPath(secretsDir, queueId) : undefined,
    }),
  build: ({ params, queueId, secretsDir }) => {
    const tokenFile = getBoolean(params, 'auth') ? datasetServerTokenPath(secretsDir, queueId) : undefined;
    return {
      argv: [
        'forgather',
        'dataset-server',
        '--host',
        getString(params, 'host'),
        '--port',
        String(getNumber(params, 'port')),
        ...(tokenFile ? ['--auth-token-file', tokenFile] : ['--no-auth']),
        ...getStringList(params, 'extra_args'),
      ],
      env: {},
      secretFiles: tokenFile ? [{ path: tokenFile, content: randomBytes(32).toString('base64url') }] : [],
    };
  },
};
