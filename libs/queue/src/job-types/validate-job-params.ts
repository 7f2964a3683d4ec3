import { JobParamSchema, JobTypeDefinition, ParamError } from './job-type';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Strict: values must already have the declared JSON type (the string "3" is not an integer) so what
 * the operator submitted is exactly what runs. `null` counts as "not given", which is what forms send
 * for an empty optional field. Returns the params with defaults applied (a fresh object: arrays and
 * maps are copied so later mutation of the request cannot change the job).
 */
export function validateJobParams(
  def: Pick<JobTypeDefinition, 'name' | 'params'>,
  params: unknown,
): { params: Record<string, unknown>; errors: ParamError[] } {
  const errors: ParamError[] = [];
  const out: Record<string, unknown> = {};
  if (params === undefined || params === null) params = {};
  if (!isPlainObject(params)) {
    errors.push({
      field: 'job_params',
      message: `job_params must be a JSON object, got ${describeValue(params)}`,
    });
    return { params: out, errors };
  }

  const known = new Set(def.params.map((p) => p.name));
  for (const key of Object.keys(params)) {
    if (!known.has(key)) {
      errors.push({ field: `job_params.${key}`, message: `unknown parameter "${key}" for type ${def.name}` });
    }
  }

  for (const schema of def.params) {
    const value = Object.prototype.hasOwnProperty.call(params, schema.name) ? params[schema.name] : undefined;
    if (value === undefined || value === null) {
      if (schema.default !== undefined) out[schema.name] = copy(schema.default);
      else if (schema.required) {
        errors.push({ field: `job_params.${schema.name}`, message: `"${schema.name}" is required` });
      }
      continue;
    }
    const message = checkValue(schema, value);
    if (message === undefined) out[schema.name] = copy(value);
    else errors.push({ field: `job_params.${schema.name}`, message });
  }
  return { params: out, errors };
}

/**
 * The longest string one argument or environment variable (`NAME=value`) may be, in bytes: the
 * kernel's MAX_ARG_STRLEN (32 pages) less the terminating NUL. Longer ones make exec fail (E2BIG).
 */
export const MAX_EXEC_STRING_BYTES = 131_071;

/** Why `text` cannot reach a program's argv or environment (`what` names it), or undefined. */
export function execStringProblem(what: string, text: string): string | undefined {
  const bytes = Buffer.byteLength(text);
  return bytes > MAX_EXEC_STRING_BYTES
    ? `${what} is ${bytes} bytes; one argument or environment variable may be at most ${MAX_EXEC_STRING_BYTES} (the kernel's limit)`
    : undefined;
}

/**
 * Why `value` does not fit `schema`, as a message naming the param (and the list entry or map key at
 * fault); undefined when it fits.
 */
export function checkValue(schema: JobParamSchema, value: unknown): string | undefined {
  const name = JSON.stringify(schema.name);
  switch (schema.type) {
    case 'string':
    case 'path': {
      if (typeof value !== 'string') return `${name} must be a string, got ${describeValue(value)}`;
      if (value.includes('\0')) return `${name} must not contain NUL bytes`;
      const tooLong = execStringProblem(name, value);
      if (tooLong) return tooLong;
      // An empty path never means anything useful and would reach argv as "".
      if (value === '' && (schema.required || schema.type === 'path')) return `${name} must not be empty`;
      if (schema.program) return programProblem(name, value);
      return undefined;
    }
    case 'integer':
    case 'number': {
      const what = schema.type === 'integer' ? 'an integer' : 'a number';
      if (typeof value !== 'number' || !Number.isFinite(value))
        return `${name} must be ${what}, got ${describeValue(value)}`;
      if (schema.type === 'integer' && !Number.isInteger(value))
        return `${name} must be an integer, got ${value}`;
      const range = checkRange(schema, value, 'value');
      return range && `${name} ${range}`;
    }
    case 'boolean':
      return typeof value === 'boolean'
        ? undefined
        : `${name} must be true or false, got ${describeValue(value)}`;
    case 'choice': {
      if (typeof value === 'string' && (schema.choices ?? []).includes(value)) return undefined;
      return `${name} must be one of ${(schema.choices ?? []).join(', ')}; got ${describeValue(value)}`;
    }
    case 'string_list': {
      if (!Array.isArray(value)) return `${name} must be a list of strings, got ${describeValue(value)}`;
      for (let i = 0; i < value.length; i++) {
        const entry: unknown = value[i];
        if (typeof entry !== 'string') return `${name}[${i}] must be a string, got ${describeValue(entry)}`;
        if (entry.includes('\0')) return `${name}[${i}] must not contain NUL bytes`;
        const tooLong = execStringProblem(`${name}[${i}]`, entry);
        if (tooLong) return tooLong;
      }
      const range = checkRange(schema, value.length, 'count');
      if (range) return `${name} ${range}`;
      if (schema.program && value.length > 0) return programProblem(`${name}[0]`, value[0] as string);
      return undefined;
    }
    case 'env_map': {
      if (!isPlainObject(value)) return `${name} must be an object of strings, got ${describeValue(value)}`;
      for (const [key, entry] of Object.entries(value)) {
        if (!ENV_NAME.test(key)) return `${name} has an invalid variable name ${JSON.stringify(key)}`;
        if (typeof entry !== 'string') return `${name}.${key} must be a string, got ${describeValue(entry)}`;
        if (entry.includes('\0')) return `${name}.${key} must not contain NUL bytes`;
        const tooLong = execStringProblem(`${name}.${key}`, `${key}=${entry}`);
        if (tooLong) return tooLong;
      }
      return undefined;
    }
  }
}

/** `min`/`max` bound the value of a number and the item count of a list. */
function checkRange(schema: JobParamSchema, n: number, kind: 'value' | 'count'): string | undefined {
  const { min, max } = schema;
  if ((min === undefined || n >= min) && (max === undefined || n <= max)) return undefined;
  if (kind === 'value') {
    if (min !== undefined && max !== undefined) return `must be between ${min} and ${max}, got ${n}`;
    return min !== undefined ? `must be ≥ ${min}, got ${n}` : `must be ≤ ${max}, got ${n}`;
  }
  const items = (x: number | undefined) => `${x} item${x === 1 ? '' : 's'}`;
  if (min !== undefined && max !== undefined) return `must have between ${min} and ${items(max)}, got ${n}`;
  return min !== undefined
    ? `must have at least ${items(min)}, got ${n}`
    : `must have at most ${items(max)}, got ${n}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string': {
      const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      return `the string ${JSON.stringify(shown)}`;
    }
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return isPlainObject(value) ? 'an object' : 'a non-plain object';
    default:
      return typeof value;
  }
}

function copy<T>(value: T): T {
  if (Array.isArray(value)) return value.slice() as T;
  if (isPlainObject(value)) return { ...value };
  return value;
}

/** Why `text` cannot name the program a job runs (`what` names it), or undefined. */
function programProblem(what: string, text: string): string | undefined {
  return text.trim() === ''
    ? `${what} is the program to run: it cannot be blank, got ${JSON.stringify(text)}`
    : undefined;
}
