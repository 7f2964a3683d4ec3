import { JobTypeDefinition } from './job-type';
import { argsParam, getOptionalNumber, getString, getStringList, param, spec } from './job-type-helpers';

export const trainingJobType: JobTypeDefinition = {
  name: 'training',
  description: 'Distributed training script under torchrun (one worker per assigned GPU by default).',
  params: [
    param('script', 'path', 'Training script', { required: true, path_kind: 'file' }),
    argsParam('Arguments passed to the script'),
    param('nproc_per_node', 'integer', 'Workers per node (default: number of assigned GPUs, or 1)', {
      min: 1,
    }),
    param('torchrun', 'string', 'torchrun executable', { default: 'torchrun' }),
  ],
  defaultGpus: 1,
  build: ({ params, gpuIndices }) => {
    const nproc = getOptionalNumber(params, 'nproc_per_node') ?? Math.max(gpuIndices.length, 1);
    return spec([
      getString(params, 'torchrun'),
      '--standalone',
      '--nproc-per-node',
      String(nproc),
      getString(params, 'script'),
      ...getStringList(params, 'args'),
    ]);
  },
};
