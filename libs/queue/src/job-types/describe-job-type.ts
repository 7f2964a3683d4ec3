import { JobParamSchema, JobTypeDefinition } from './job-type';

/** Built-in types that run to completion (a training run, a conversion): never a service. */
export const BATCH_JOB_TYPES: ReadonlySet<string> = new Set([
  'training',
  'eval',
  'convert',
  'finalize',
  'update',
  'model',
  'dataset',
]);

/** A parameter as served to forms: the schema itself (all plain JSON). */
export type JobParamDescription = JobParamSchema;

/** One entry of GET /api/job-types (snake_case, like the rest of the API). */
export interface JobTypeDescription {
  name: string;
  description: string;
  params: JobParamDescription[];
  default_gpus: number;
  service_port_param: string | null;
  /** Whether it may be declared under `services:` (false for types that run to completion). */
  can_be_service: boolean;
}

export function describeJobType(def: JobTypeDefinition): JobTypeDescription {
  return {
    name: def.name,
    description: def.description,
    params: def.params.map((p) => ({
      name: p.name,
      type: p.type,
      required: p.required,
      ...(p.default !== undefined && { default: structuredClone(p.default) }),
      ...(p.path_kind !== undefined && { path_kind: p.path_kind }),
      ...(p.choices !== undefined && { choices: p.choices.slice() }),
      description: p.description,
      ...(p.min !== undefined && { min: p.min }),
      ...(p.max !== undefined && { max: p.max }),
    })),
    default_gpus: def.defaultGpus,
    service_port_param: def.servicePortParam ?? null,
    can_be_service: !BATCH_JOB_TYPES.has(def.name),
  };
}
