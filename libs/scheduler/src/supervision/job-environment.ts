import { JOB_ID_ENV, NODE_ID_ENV } from '@trainyard/gpus';

/** Lives under this server's state directory: with the job id it ties a process to this server's job. */
export const SERVER_TAG_ENV = 'TRAINYARD_CONTROL_DIR';

export interface JobEnvironmentInput {
  jobId: string;
  /** This server's node id: with the uid, what GPU attribution trusts a process to be ours by. */
  nodeId: string;
  /** The server's environment at start (config.job_env). */
  serverEnv: Readonly<Record<string, string>>;
  /** What the job type adds (e.g. HF_HOME, a token file path). */
  typeEnv: Readonly<Record<string, string>>;
  /** What the user asked for at submit. */
  userEnv: Readonly<Record<string, string>>;
  /** Trainyard's own per-job variables from other libs (e.g. TRAINYARD_RUN_ID); a user cannot override them. */
  trainyardEnv?: Readonly<Record<string, string>>;
  controlDir: string;
  gpuIndices: readonly number[];
  /** UUIDs of the MIG devices placed for it (a job with a gpu_profile); empty otherwise. */
  migDevices?: readonly string[];
  /** The array the job belongs to and its index in it, or null. */
  array: { id: string; index: number } | null;
  /** Times the job was requeued after preemption (0 on its first attempt). */
  restartCount: number;
  /** The job type's choice for GPU-less jobs: hide every GPU (true) or inherit the server's view. */
  gpulessHidesGpus: boolean;
}

/**
 * The job environment contract, built in this one place. Later entries win:
 * server env → job type env → user env → Trainyard's own variables, which a user cannot override:
 * - TRAINYARD_JOB_ID: the job's queue id (how its processes are found, even outside its session);
 * - TRAINYARD_NODE_ID: this server's node id (GPU attribution trusts it, with the process's uid);
 * - TRAINYARD_CONTROL_DIR: where a trainer publishes its control endpoint (also names this server);
 * - TRAINYARD_RESTART_COUNT: how many times it was preempted and requeued (0 on the first attempt),
 *   so a program can resume from its checkpoint;
 * - TRAINYARD_ARRAY_ID / TRAINYARD_ARRAY_INDEX: for a job of an array, its id and the job's 0-based index;
 * - run tracking's TRAINYARD_RUN_ID, TRAINYARD_URL and TRAINYARD_RUN_TOKEN_FILE (libs/tracking);
 * - CUDA_DEVICE_ORDER=PCI_BUS_ID, so CUDA's index N is nvidia-smi's GPU N (a GPU-less job may set
 *   its own; a job with GPUs always gets this one: another order would number other GPUs);
 * - CUDA_VISIBLE_DEVICES: the assigned GPUs, or the UUIDs of its MIG devices (`MIG-…`, how CUDA
 *   names a MIG device); for a GPU-less job empty (no GPU at all) unless the type opts out or the
 *   user set it.
 */
export function buildJobEnvironment(input: JobEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {
    ...input.serverEnv,
    CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
    ...input.typeEnv,
    ...input.userEnv,
    ...input.trainyardEnv,
    [JOB_ID_ENV]: input.jobId,
    [NODE_ID_ENV]: input.nodeId,
    [SERVER_TAG_ENV]: input.controlDir,
    TRAINYARD_RESTART_COUNT: String(input.restartCount),
  };
  if (input.array) {
    env.TRAINYARD_ARRAY_ID = input.array.id;
    env.TRAINYARD_ARRAY_INDEX = String(input.array.index);
  }
  if (input.migDevices?.length || input.gpuIndices.length > 0) env.CUDA_DEVICE_ORDER = 'PCI_BUS_ID';
  if (input.migDevices?.length) env.CUDA_VISIBLE_DEVICES = input.migDevices.join(',');
  else if (input.gpuIndices.length > 0) env.CUDA_VISIBLE_DEVICES = input.gpuIndices.join(',');
  else if (input.gpulessHidesGpus && !('CUDA_VISIBLE_DEVICES' in input.userEnv))
    env.CUDA_VISIBLE_DEVICES = '';
  return env;
}
