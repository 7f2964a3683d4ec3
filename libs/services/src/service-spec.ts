import { createHash } from 'node:crypto';
import type { ErrorDetail } from '@trainyard/core';
import {
  BATCH_JOB_TYPES,
  JobParamSchema,
  JobTypeDefinition,
  JobTypeRegistry,
  validateJobParams,
} from '@trainyard/queue';

/**
 * A service: a long-lived job declared in server_config.yaml under `services: <type>: <name>:`. The
 * entry holds operator keys (how to run it) beside the job's own params (what runs); only the latter
 * make up its identity, the signature.
 */

export const RESTART_POLICIES = ['never', 'on-failure', 'always'] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];
/** Not restarting by default would leave a crashed server down until the next boot. */
export const DEFAULT_RESTART: RestartPolicy = 'on-failure';

/** Keys of a service entry that are not job params: stripped before submit, not in the signature. */
export const OPERATOR_KEYS = ['enabled', 'priority', 'requested_gpus', 'restart', 'health'] as const;

export const SERVICE_NAME = /^[A-Za-z0-9_-]+$/;

/** Optional HTTP probe of a running instance: `GET http://127.0.0.1:<port><path>`, 2xx/3xx = healthy. */
export interface HealthCheck {
  path: string;
  /** Default: the job type's listening-port param (inference/tensorboard/mkdocs `port`). */
  port: number;
  interval_s: number;
  /**
   * Seconds an instance may take to answer its first probe (loading a model) before failing probes
   * make it `unhealthy` (Docker's start period); default DEFAULT_START_PERIOD_S.
   */
  start_period_s: number;
}

/** A health check's start period unless set: 10 min, long enough for a large model to load. */
export const DEFAULT_START_PERIOD_S = 600;

/** What an API caller or a config entry says about one service, before validation. */
export interface ServiceInput {
  type: string;
  name: string;
  enabled?: unknown;
  priority?: unknown;
  requested_gpus?: unknown;
  restart?: unknown;
  health?: unknown;
  args: unknown;
}

export interface ServiceSpec {
  type: string;
  name: string;
  enabled: boolean;
  priority: number;
  /** Default: the job type's default_gpus (1 for inference, 0 for command/tensorboard/mkdocs); 0 is kept. */
  requested_gpus: number;
  restart: RestartPolicy;
  health: HealthCheck | null;
  /** The job params as the operator wrote them (no operator keys). */
  args: Record<string, unknown>;
  /** Validated job params, defaults applied: exactly what is submitted. */
  params: Record<string, unknown>;
  signature: string;
}

/** Where errors point: `args.port` for the API, `services.inference.big.port` for the config file. */
export interface FieldNames {
  /** The args mapping as a whole. */
  args: string;
  operator: (key: string) => string;
  arg: (key: string) => string;
}

export const API_FIELDS: FieldNames = { args: 'args', operator: (k) => k, arg: (k) => `args.${k}` };

export function configFields(type: string, name: string): FieldNames {
  const at = (k: string) => `services.${type}.${name}.${k}`;
  return { args: `services.${type}.${name}`, operator: at, arg: at };
}

/**
 * Validates a service the way a submit validates a job (the queue's validateJobParams, after scalar
 * normalisation) plus the operator keys. Returns the spec, or every problem with the field it names.
 */
export function validateService(
  registry: JobTypeRegistry,
  input: ServiceInput,
  fields: FieldNames = API_FIELDS,
): { spec: ServiceSpec | null; errors: ErrorDetail[] } {
  const errors: ErrorDetail[] = [];
  const fail = (field: string, message: string) => errors.push({ field, message });
  if (!SERVICE_NAME.test(input.name))
    fail(fields.operator('name'), `service name "${input.name}" must match [A-Za-z0-9_-]+`);
  const def = registry.get(input.type);
  if (!def) {
    const known = registry
      .list()
      .map((t) => t.name)
      .filter((t) => !BATCH_JOB_TYPES.has(t));
    fail(fields.operator('type'), `unknown service type "${input.type}"; one of: ${known.join(', ')}`);
    return { spec: null, errors };
  }
  if (BATCH_JOB_TYPES.has(def.name)) {
    fail(fields.operator('type'), `"${def.name}" runs to completion; it cannot be a service`);
    return { spec: null, errors };
  }

  const enabled = input.enabled ?? false;
  if (typeof enabled !== 'boolean') fail(fields.operator('enabled'), 'enabled must be true or false');
  const priority = integer(input.priority, 0);
  if (priority === undefined) fail(fields.operator('priority'), 'priority must be an integer');
  const gpus = integer(input.requested_gpus, def.defaultGpus);
  if (gpus === undefined || gpus < 0)
    fail(fields.operator('requested_gpus'), 'requested_gpus must be an integer ≥ 0');
  const restart = input.restart ?? DEFAULT_RESTART;
  if (!RESTART_POLICIES.includes(restart as RestartPolicy))
    fail(fields.operator('restart'), `restart must be one of ${RESTART_POLICIES.join(', ')}`);

  if (!isPlainObject(input.args)) {
    fail(fields.args, 'args must be a mapping of job params');
    return { spec: null, errors };
  }
  const { params, errors: paramErrors } = normaliseParams(def, input.args);
  for (const e of paramErrors) fail(fields.arg(e.field.replace(/^job_params\.?/, '')), e.message);
  const health = checkHealth(def, input.health, params, fields, fail);

  if (errors.length) return { spec: null, errors };
  return {
    spec: {
      type: def.name,
      name: input.name,
      enabled: enabled as boolean,
      priority: priority!,
      requested_gpus: gpus!,
      restart: restart as RestartPolicy,
      health,
      args: input.args,
      params,
      signature: signatureOf(def, params),
    },
    errors,
  };
}

/** A config entry (operator keys and job params side by side) split into a ServiceInput. */
export function entryToInput(type: string, name: string, entry: unknown): ServiceInput {
  const flat = isPlainObject(entry) ? entry : {};
  const args: Record<string, unknown> = {};
  const input: ServiceInput = { type, name, args };
  for (const [key, value] of Object.entries(flat)) {
    if ((OPERATOR_KEYS as readonly string[]).includes(key))
      (input as unknown as Record<string, unknown>)[key] = value;
    else args[key] = value;
  }
  if (!isPlainObject(entry)) input.args = entry === null || entry === undefined ? {} : entry;
  return input;
}

/**
 * The identity of a service or job: sha256 over its type and its params normalised — strings that
 * spell a declared number or boolean read as that value, defaults filled in, keys sorted, and only
 * params the type declares (so operator keys and anything injected after submit never count).
 */
export function signatureOf(def: JobTypeDefinition, params: Record<string, unknown>): string {
  const { params: normal } = normaliseParams(def, params);
  return createHash('sha256')
    .update(JSON.stringify([def.name, canonical(normal)]))
    .digest('hex');
}

/** A job's signature, or null when its type is no longer registered. */
export function jobSignature(
  registry: JobTypeRegistry,
  job: { job_type: string; job_params: Record<string, unknown> },
): string | null {
  const def = registry.get(job.job_type);
  return def ? signatureOf(def, job.job_params) : null;
}

/**
 * YAML (and forms) hand over `"8137"` where the type says integer: read such scalars as the declared
 * type, keep only declared params, then validate and fill defaults exactly as a submit does.
 */
function normaliseParams(
  def: JobTypeDefinition,
  raw: Record<string, unknown>,
): ReturnType<typeof validateJobParams> {
  const coerced: Record<string, unknown> = { ...raw };
  for (const schema of def.params) {
    if (schema.name in coerced) coerced[schema.name] = coerceScalar(schema, coerced[schema.name]);
  }
  return validateJobParams(def, coerced);
}

function coerceScalar(schema: JobParamSchema, value: unknown): unknown {
  const textual = ['string', 'path', 'choice'].includes(schema.type);
  const plain = (v: unknown) => typeof v === 'number' || typeof v === 'boolean';
  // YAML reads `port: 8000` in an argv or `tag: 2` as numbers where the type wants text.
  if (textual && plain(value)) return String(value);
  if (schema.type === 'string_list' && Array.isArray(value))
    return value.map((v: unknown) => (plain(v) ? String(v) : v));
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if ((schema.type === 'integer' || schema.type === 'number') && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text))
    return Number(text);
  if (schema.type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return value;
}

function checkHealth(
  def: JobTypeDefinition,
  raw: unknown,
  params: Record<string, unknown>,
  fields: FieldNames,
  fail: (field: string, message: string) => void,
): HealthCheck | null {
  if (raw === undefined || raw === null) return null;
  const at = (k: string) => fields.operator(`health.${k}`);
  if (!isPlainObject(raw)) {
    fail(fields.operator('health'), 'health must be a mapping {path, port?, interval_s?, start_period_s?}');
    return null;
  }
  const path = raw.path;
  if (typeof path !== 'string' || !path.startsWith('/')) fail(at('path'), 'health.path must start with "/"');
  const fallback = def.servicePortParam ? params[def.servicePortParam] : undefined;
  const port = integer(raw.port, typeof fallback === 'number' ? fallback : undefined);
  if (port === undefined || port < 1 || port > 65535)
    fail(
      at('port'),
      raw.port === undefined
        ? `health.port is required: type ${def.name} has no port param`
        : 'health.port must be a port number',
    );
  const interval = raw.interval_s ?? 10;
  if (typeof interval !== 'number' || !(interval >= 0.1 && interval <= 3600))
    fail(at('interval_s'), 'health.interval_s must be a number of seconds between 0.1 and 3600');
  const startPeriod = raw.start_period_s ?? DEFAULT_START_PERIOD_S;
  if (typeof startPeriod !== 'number' || !(startPeriod >= 0 && startPeriod <= 86_400))
    fail(at('start_period_s'), 'health.start_period_s must be a number of seconds between 0 and 86400');
  for (const key of Object.keys(raw)) {
    if (!['path', 'port', 'interval_s', 'start_period_s'].includes(key))
      fail(at(key), `unknown health key "${key}"`);
  }
  return {
    path: path as string,
    port: port!,
    interval_s: interval as number,
    start_period_s: startPeriod as number,
  };
}

/** `value` as an integer (numeric strings accepted, as YAML may quote them); `fallback` when absent. */
function integer(value: unknown, fallback: number | undefined): number | undefined {
  if (value === undefined || value === null) return fallback;
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isPlainObject(value))
    return Object.keys(value)
      .sort()
      .map((k) => [k, canonical(value[k])]);
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
