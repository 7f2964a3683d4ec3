import { DomainError } from '@trainyard/core';

/**
 * Token for a `JobTypeNames`: the job types this server is configured with. The queue module owns the
 * registry (and depends on this module), so it provides this; the jobs list reads it to refuse a
 * filter on a type that does not exist.
 */
export const JOB_TYPE_NAMES = Symbol('JOB_TYPE_NAMES');
export type JobTypeNames = () => readonly string[];

/** 400 JOB_TYPE_UNKNOWN naming `job_type`, the same for a submit and a list filter. */
export function unknownJobType(name: string, known: readonly string[]): DomainError {
  return new DomainError('JOB_TYPE_UNKNOWN', `job_type "${name}" is not one of: ${known.join(', ')}`, [
    { field: 'job_type', message: `unknown job type "${name}"` },
  ]);
}
