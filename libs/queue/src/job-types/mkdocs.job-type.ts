import { JobTypeDefinition } from './job-type';
import {
  getBoolean,
  getNumber,
  getString,
  getStringList,
  httpEndpoint,
  param,
  portParam,
  spec,
} from './job-type-helpers';

export const mkdocsJobType: JobTypeDefinition = {
  name: 'mkdocs',
  description: 'mkdocs serve for a docs tree (no auth in front of it: keep it on loopback).',
  params: [
    param('config_file', 'path', 'mkdocs.yml', { required: true, path_kind: 'file' }),
    portParam('Listening port'),
    param('host', 'string', 'Bind address', { default: '127.0.0.1' }),
    // The services: block of server_config.yaml forwards these keys as-is, so they are accepted here.
    param('strict', 'boolean', 'Abort on warnings', { default: false }),
    param('livereload', 'boolean', 'Reload the browser on changes', { default: true }),
    param('dirty', 'boolean', 'Rebuild only changed files', { default: false }),
    param('watch', 'string_list', 'Extra directories to watch', { default: [] }),
  ],
  defaultGpus: 0,
  servicePortParam: 'port',
  endpoint: ({ params }) => httpEndpoint(getString(params, 'host'), getNumber(params, 'port')),
  // A server: runs until stopped, whatever the server's default time limit.
  defaultTimeLimitS: null,
  build: ({ params }) =>
    spec([
      'mkdocs',
      'serve',
      '-f',
      getString(params, 'config_file'),
      '-a',
      `${getString(params, 'host')}:${getNumber(params, 'port')}`,
      ...(getBoolean(params, 'strict') ? ['--strict'] : []),
      ...(getBoolean(params, 'livereload') ? [] : ['--no-livereload']),
      ...(getBoolean(params, 'dirty') ? ['--dirty'] : []),
      ...getStringList(params, 'watch').flatMap((dir) => ['-w', dir]),
    ]),
};
