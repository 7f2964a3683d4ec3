/**
 * A job type turns validated `job_params` into the exact argv/env a job is spawned with. Nothing here
 * touches a shell, the filesystem or a clock: the launcher owns those.
 */

export const JOB_PARAM_TYPES = [
  'string',
  'integer',
  'number',
  'boolean',
  'path',
  'string_list',
  'choice',
  'env_map',
] as const;
export type JobParamType = (typeof JOB_PARAM_TYPES)[number];

/** What a `path` param names, where it is one kind only. */
export const PATH_KINDS = ['file', 'dir'] as const;
export type PathKind = (typeof PATH_KINDS)[number];

export interface JobParamSchema {
  name: string;
  type: JobParamType;
  required: boolean;
  default?: unknown;
  /**
   * For a `path`: whether it names a file or a directory, so a form browses for that kind; absent:
   * either. Not checked at submit (the path may be relative to the job's cwd, or made by the job).
   */
  path_kind?: PathKind;
  /** Allowed values of a `choice`. */
  choices?: string[];
  description: string;
  /** Value bounds for `integer`/`number`; item-count bounds for `string_list`. */
  min?: number;
  max?: number;
  /**
   * The job's program comes from it (a `string`, or a `string_list`'s first entry): a blank one is
   * refused at submit, not found at launch ("exit 127").
   */
  program?: boolean;
}

export interface JobBuildContext {
  queueId: string;
  /** Already validated, defaults applied. */
  params: Record<string, unknown>;
  gpuIndices: number[];
  requestedGpus: number;
  /** Directory (0700) where per-job secret files go. */
  secretsDir: string;
}

/** Written 0600 by the launcher before spawn. */
export interface SecretFile {
  path: string;
  content: string;
}

export interface LaunchSpec {
  argv: string[];
  env: Record<string, string>;
  secretFiles: SecretFile[];
}

/** Where a running service job answers, as the server should reach it (always a connectable address). */
export interface JobEndpoint {
  scheme: 'http';
  host: string;
  port: number;
  /** Address the job binds (may be 0.0.0.0): shown to users, matched against proxy targets. */
  bindHost: string;
  /** 0600 file holding the bearer token clients must send, when the job requires one. */
  tokenFile?: string;
  /** Path the service serves under (tensorboard's `--path_prefix`), '' for the root. */
  pathPrefix: string;
}

export interface JobEndpointContext {
  queueId: string;
  params: Record<string, unknown>;
  secretsDir: string;
}

export interface JobTypeDefinition {
  name: string;
  description: string;
  params: JobParamSchema[];
  /** Used in docs/forms. */
  defaultGpus: number;
  /**
   * A job given 0 GPUs runs with CUDA_VISIBLE_DEVICES="" (it sees no GPU), so nothing the scheduler
   * did not place can take GPU memory a placed job needs (TensorBoard, for one, grabs some). A type
   * whose GPU-less jobs must still see the server's GPUs opts out by giving the reason here; no
   * built-in type does. (A user can always set CUDA_VISIBLE_DEVICES in the job's own env.)
   */
  gpuless_sees_server_gpus?: { reason: string };
  /**
   * Time limit of its jobs submitted without one, seconds; null: none, even under a server default
   * (long-lived servers: TensorBoard, inference, docs); undefined: the server's --default-time-limit.
   */
  defaultTimeLimitS?: number | null;
  /** Param that holds a listening port (inference, tensorboard, mkdocs) — used for 409 port conflicts. */
  servicePortParam?: string;
  build(ctx: JobBuildContext): LaunchSpec;
  /** Service types: where a running job listens, read from its params the way `build` used them. */
  endpoint?(ctx: JobEndpointContext): JobEndpoint;
}

/** `field` is the request path of the bad value, e.g. `job_params.script`. */
export interface ParamError {
  field: string;
  message: string;
}

/** One entry of the `job_types:` block of server_config.yaml. */
export interface UserJobTypeConfig {
  name: string;
  description?: string;
  /** Template, e.g. ["python", "{script}", "--lr", "{lr}", "{args...}"]. */
  argv: string[];
  params: Array<Partial<JobParamSchema> & { name: string; type: JobParamType }>;
  default_gpus?: number;
  /** Seconds; null: no limit even under a server default; absent: the server's. */
  default_time_limit_s?: number | null;
}
