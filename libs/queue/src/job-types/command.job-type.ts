import { JobTypeDefinition } from './job-type';
import { getStringList, param, spec } from './job-type-helpers';

export const commandJobType: JobTypeDefinition = {
  name: 'command',
  description: 'Run a program with the given argv, verbatim (no shell).',
  params: [
    param('argv', 'string_list', 'Program and its arguments', { required: true, min: 1, program: true }),
  ],
  defaultGpus: 0,
  build: ({ params }) => spec(getStringList(params, 'argv')),
};
