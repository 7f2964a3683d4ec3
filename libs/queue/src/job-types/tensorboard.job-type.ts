import { JobTypeDefinition } from './job-type';
import { getBoolean, getNumber, getString, httpEndpoint, param, portParam, spec } from './job-type-helpers';

/** TensorBoard is served through the auth-gated proxy at this prefix, so its links must carry it. */
export function tensorboardPathPrefix(queueId: string): string {
  return `/api/tb/${queueId}`;
}

export const tensorboardJobType: JobTypeDefinition = {
  name: 'tensorboard',
  description: 'TensorBoard behind the authenticated /api/tb/<queue_id> proxy (loopback only by default).',
  params: [
    param('logdir', 'path', 'Log directory', { required: true, path_kind: 'dir' }),
    portParam('Listening port'),
    param('bind_all', 'boolean', 'Listen on all interfaces, bypassing the auth-gated proxy', {
      default: false,
    }),
  ],
  defaultGpus: 0,
  servicePortParam: 'port',
  // Even with bind_all the proxy goes over loopback.
  endpoint: ({ params, queueId }) =>
    httpEndpoint('127.0.0.1', getNumber(params, 'port'), { pathPrefix: tensorboardPathPrefix(queueId) }),
  // A server: runs until stopped, whatever the server's default time limit.
  defaultTimeLimitS: null,
  build: ({ params, queueId }) =>
    spec([
      'tensorboard',
      '--logdir',
      getString(params, 'logdir'),
      '--port',
      String(getNumber(params, 'port')),
      '--path_prefix',
      tensorboardPathPrefix(queueId),
      ...(getBoolean(params, 'bind_all') ? ['--bind_all'] : ['--host', '127.0.0.1']),
    ]),
};
