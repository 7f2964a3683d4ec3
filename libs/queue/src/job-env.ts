/**
 * Environment variables Trainyard sets in every job itself, over whatever the job was submitted with
 * (the contract: libs/scheduler/src/supervision/job-environment.ts). A submit that sets one is
 * refused, naming it: the job would not get that value, while its record would show it did.
 */
export const TRAINYARD_SET_ENV: readonly string[] = [
  'TRAINYARD_JOB_ID',
  'TRAINYARD_NODE_ID',
  'TRAINYARD_CONTROL_DIR',
  'TRAINYARD_RESTART_COUNT',
  'TRAINYARD_ARRAY_ID',
  'TRAINYARD_ARRAY_INDEX',
  'TRAINYARD_RUN_ID',
  'TRAINYARD_URL',
  'TRAINYARD_RUN_TOKEN_FILE',
];

/**
 * Set for a job given GPUs (or MIG devices): which ones, and that CUDA numbers them as nvidia-smi
 * does (PCI bus order) — another order would make CUDA's GPU 0 another job's GPU.
 */
export const GPU_SET_ENV: readonly string[] = ['CUDA_VISIBLE_DEVICES', 'CUDA_DEVICE_ORDER'];

/**
 * Why a job may not be submitted with `name` in its environment, or undefined. `placesGpus`: the
 * job asks for GPUs or a MIG profile (a GPU-less job keeps its own CUDA_VISIBLE_DEVICES).
 */
export function reservedEnvProblem(name: string, placesGpus: boolean): string | undefined {
  if (TRAINYARD_SET_ENV.includes(name))
    return `env.${name} is set by Trainyard itself; a job cannot be given its own`;
  if (GPU_SET_ENV.includes(name) && placesGpus)
    return `env.${name} is set by Trainyard for a job with GPUs (to the GPUs placed for it, numbered as nvidia-smi does); only a job without GPUs may set its own`;
  return undefined;
}
