import { JobParamSchema, JobTypeDefinition } from './job-type';

/** A parameter as served to forms: the schema itself (all plain JSON). */
export type JobParamDescription = JobParamSchema;

/** One entry of GET /api/job-types (snake_case, like the rest of the API). */
export interface JobTypeDescription {
  name: string;
  description: string;
  params: JobParamDescription[];
  default_gpus: number;
  service_port_param: string | null;
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
      ...(p.choices !== undefined && { choices: p.choices.slice() }),
      description: p.description,
      ...(p.min !== undefined && { min: p.min }),
      ...(p.max !== undefined && { max: p.max }),
    })),
    default_gpus: def.defaultGpus,
    service_port_param: def.servicePortParam ?? null,
  };
}
