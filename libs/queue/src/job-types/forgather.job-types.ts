import { JobTypeDefinition } from './job-type';
import {
  argsParam,
  getBoolean,
  getOptionalString,
  getString,
  getStringList,
  param,
  spec,
} from './job-type-helpers';

// Thin wrappers over the `forgather` CLI, mirroring its `--enqueue` examples
// (`forgather convert --src A --dst B`, ...). Anything not modelled goes through `args`.

const projectDirParam = param('project_dir', 'path', 'Forgather project directory (default: the job cwd)', {
  path_kind: 'dir',
});

/** `forgather [-p DIR] -t CONFIG <subcommand>`: global options must precede the subcommand. */
function projectPrefix(params: Record<string, unknown>): string[] {
  const dir = getOptionalString(params, 'project_dir');
  return ['forgather', ...(dir === undefined ? [] : ['-p', dir])];
}

export const evalJobType: JobTypeDefinition = {
  name: 'eval',
  description: 'forgather eval test: evaluate a model on a named eval config.',
  params: [
    param('eval_config', 'string', 'Eval config name, e.g. c4', { required: true }),
    param('model', 'path', 'Model directory', { required: true, path_kind: 'dir' }),
    argsParam('Extra `forgather eval test` arguments, e.g. ["--batch-size", "8"]'),
  ],
  defaultGpus: 1,
  build: ({ params }) =>
    spec([
      'forgather',
      'eval',
      'test',
      getString(params, 'eval_config'),
      '-M',
      getString(params, 'model'),
      ...getStringList(params, 'args'),
    ]),
};

export const convertJobType: JobTypeDefinition = {
  name: 'convert',
  description: 'forgather convert: convert a model between HF and Forgather formats.',
  params: [
    param('src', 'path', 'Source model directory', { required: true, path_kind: 'dir' }),
    param('dst', 'path', 'Destination directory', { required: true, path_kind: 'dir' }),
    param('reverse', 'boolean', 'Force the Forgather → HF direction instead of auto-detecting', {
      default: false,
    }),
    argsParam('Extra `forgather convert` arguments'),
  ],
  defaultGpus: 0,
  build: ({ params }) =>
    spec([
      'forgather',
      'convert',
      '--src',
      getString(params, 'src'),
      '--dst',
      getString(params, 'dst'),
      ...(getBoolean(params, 'reverse') ? ['--reverse'] : []),
      ...getStringList(params, 'args'),
    ]),
};

export const finalizeJobType: JobTypeDefinition = {
  name: 'finalize',
  description: 'forgather finalize: package a trained output tree into a clean model directory.',
  params: [
    param('source', 'path', 'Trained output directory', { required: true, path_kind: 'dir' }),
    param('dest', 'path', 'Destination directory', { required: true, path_kind: 'dir' }),
    argsParam('Extra `forgather finalize` arguments'),
  ],
  defaultGpus: 0,
  build: ({ params }) =>
    spec([
      'forgather',
      'finalize',
      '--source',
      getString(params, 'source'),
      '--dest',
      getString(params, 'dest'),
      ...getStringList(params, 'args'),
    ]),
};

export const updateJobType: JobTypeDefinition = {
  name: 'update',
  description: 'forgather update: migrate a saved model to the current source schema.',
  params: [
    param('src', 'path', 'Saved model directory', { required: true, path_kind: 'dir' }),
    param('dst', 'path', 'Destination directory', { required: true, path_kind: 'dir' }),
    argsParam('Extra `forgather update` arguments, e.g. ["--dry-run"]'),
  ],
  defaultGpus: 0,
  build: ({ params }) =>
    spec([
      'forgather',
      'update',
      '--src',
      getString(params, 'src'),
      '--dst',
      getString(params, 'dst'),
      ...getStringList(params, 'args'),
    ]),
};

export const modelJobType: JobTypeDefinition = {
  name: 'model',
  description: 'forgather model: construct or test a model config.',
  params: [
    projectDirParam,
    param('config', 'string', 'Config template, e.g. train.yaml', { required: true }),
    argsParam('`forgather model` arguments, e.g. ["test", "--steps", "10"]'),
  ],
  defaultGpus: 1,
  build: ({ params }) =>
    spec([
      ...projectPrefix(params),
      '-t',
      getString(params, 'config'),
      'model',
      ...getStringList(params, 'args'),
    ]),
};

export const datasetJobType: JobTypeDefinition = {
  name: 'dataset',
  description: 'forgather dataset: run a dataset config.',
  params: [
    projectDirParam,
    param('config', 'string', 'Config template', { required: true }),
    argsParam('`forgather dataset` arguments'),
  ],
  defaultGpus: 0,
  build: ({ params }) =>
    spec([
      ...projectPrefix(params),
      '-t',
      getString(params, 'config'),
      'dataset',
      ...getStringList(params, 'args'),
    ]),
};

export const forgatherJobTypes: readonly JobTypeDefinition[] = [
  evalJobType,
  convertJobType,
  finalizeJobType,
  updateJobType,
  modelJobType,
  datasetJobType,
];
