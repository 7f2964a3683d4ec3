import { commandJobType } from './command.job-type';
import { datasetServerJobType } from './dataset-server.job-type';
import { forgatherJobTypes } from './forgather.job-types';
import { inferenceJobType } from './inference.job-type';
import { JobTypeDefinition } from './job-type';
import { mkdocsJobType } from './mkdocs.job-type';
import { tensorboardJobType } from './tensorboard.job-type';
import { trainingJobType } from './training.job-type';

/** In the order GET /api/job-types lists them. */
export const BUILTIN_JOB_TYPES: readonly JobTypeDefinition[] = [
  commandJobType,
  trainingJobType,
  inferenceJobType,
  tensorboardJobType,
  mkdocsJobType,
  datasetServerJobType,
  ...forgatherJobTypes,
];
