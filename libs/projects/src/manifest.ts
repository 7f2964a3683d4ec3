import { yamlErrorLine } from '@trainyard/core';
import { parse } from 'yaml';

/** The generic project manifest's file name (see README "Projects" for the schema). */
export const MANIFEST_FILE = 'trainyard.yaml';

export const PARAM_TYPES = ['string', 'integer', 'number', 'boolean', 'path'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];
export type ParamValue = string | number | boolean;

/** One dynamic argument of a config: what the Run dialog shows and what overrides are checked against. */
export interface ParamSpec {
  name: string;
  type: ParamType;
  default?: ParamValue;
  choices?: ParamValue[];
  help?: string;
}

/** One runnable config of a project. */
export interface ConfigSpec {
  /** Unique within the project; for Forgather, the YAML path under the config prefix (`train.yaml`). */
  name: string;
  description?: string;
  /** Absolute path of the config's source file, when it has one. */
  file?: string;
  /** A queue job type (`training` by default). */
  job_type: string;
  /** `training`: the script (relative to the project); the params become `--name value` arguments. */
  script?: string;
  /** `command`: argv with `{param}` placeholders (also `{project_dir}`, `{output_dir}`, `{config}`). */
  argv?: string[];
  /** Any other job type: its job_params, string values with the same placeholders. */
  job_params?: Record<string, unknown>;
  /** GPUs to request (default: the job type's). */
  gpus?: number;
  params: ParamSpec[];
  /** Output directory pattern, relative to the project (placeholders `{config}`, `{project}`). */
  output_dir: string;
}

export interface ManifestSpec {
  name?: string;
  description?: string;
  default_config?: string;
  configs: ConfigSpec[];
}

export const DEFAULT_OUTPUT_DIR = 'output_models/{config}';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const BUILTIN_PLACEHOLDERS = ['project_dir', 'output_dir', 'config'];

/** A manifest that cannot be used; `field` is a dotted path inside the file (`configs[1].params[0].type`). */
export class ManifestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function optString(o: Obj, key: string, at: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ManifestError(`${at}${key}`, 'must be a string');
  return v;
}

function isScalar(v: unknown): v is ParamValue {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/**
 * Parses a `trainyard.yaml` text. `projectDir` makes config files absolute (they must stay inside the
 * project: no absolute path, no `..`). Throws {@link ManifestError} naming the first bad field.
 */
export function parseManifest(text: string, projectDir: string): ManifestSpec {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ManifestError('(yaml)', yamlErrorLine(err));
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isObj(doc)) throw new ManifestError('(root)', 'must be a mapping');
  const outputDefault = optString(doc, 'output_dir', '') ?? DEFAULT_OUTPUT_DIR;
  checkRelative('output_dir', outputDefault);
  const rawConfigs = doc.configs ?? [];
  if (!Array.isArray(rawConfigs)) throw new ManifestError('configs', 'must be a list');
  const configs = rawConfigs.map((raw, i) => parseConfig(raw, `configs[${i}].`, projectDir, outputDefault));
  const seen = new Set<string>();
  configs.forEach((c, i) => {
    if (seen.has(c.name)) throw new ManifestError(`configs[${i}].name`, `"${c.name}" is used twice`);
    seen.add(c.name);
  });
  const defaultConfig = optString(doc, 'default_config', '');
  if (defaultConfig !== undefined && !seen.has(defaultConfig))
    throw new ManifestError('default_config', `"${defaultConfig}" is not one of the configs`);
  return {
    name: optString(doc, 'name', ''),
    description: optString(doc, 'description', ''),
    default_config: defaultConfig ?? configs[0]?.name,
    configs,
  };
}

function parseConfig(raw: unknown, at: string, projectDir: string, outputDefault: string): ConfigSpec {
  if (!isObj(raw)) throw new ManifestError(at.slice(0, -1), 'must be a mapping');
  const name = optString(raw, 'name', at);
  if (name === undefined || !NAME.test(name))
    throw new ManifestError(`${at}name`, 'must be 1-128 letters, digits, ".", "_" or "-"');
  const file = optString(raw, 'file', at);
  if (file !== undefined) checkRelative(`${at}file`, file);
  const jobType = optString(raw, 'job_type', at) ?? 'training';
  const outputDir = optString(raw, 'output_dir', at) ?? outputDefault;
  checkRelative(`${at}output_dir`, outputDir);
  const rawParams = raw.params ?? [];
  if (!Array.isArray(rawParams)) throw new ManifestError(`${at}params`, 'must be a list');
  const params = rawParams.map((p, i) => parseParam(p, `${at}params[${i}].`));
  const names = new Set(params.map((p) => p.name));
  const config: ConfigSpec = {
    name,
    description: optString(raw, 'description', at),
    file: file === undefined ? undefined : `${projectDir}/${file}`,
    job_type: jobType,
    params,
    output_dir: outputDir,
  };
  const script = optString(raw, 'script', at);
  if (script !== undefined) config.script = script;
  if (raw.argv !== undefined) {
    if (!Array.isArray(raw.argv) || raw.argv.length === 0 || !raw.argv.every((a) => typeof a === 'string'))
      throw new ManifestError(`${at}argv`, 'must be a non-empty list of strings');
    config.argv = raw.argv;
    raw.argv.forEach((a, i) => checkPlaceholders(`${at}argv[${i}]`, a, names));
  }
  if (raw.job_params !== undefined) {
    if (!isObj(raw.job_params)) throw new ManifestError(`${at}job_params`, 'must be a mapping');
    config.job_params = raw.job_params;
  }
  if (raw.gpus !== undefined) {
    if (!Number.isInteger(raw.gpus) || (raw.gpus as number) < 0)
      throw new ManifestError(`${at}gpus`, 'must be a non-negative integer');
    config.gpus = raw.gpus as number;
  }
  if (jobType === 'command' && !config.argv)
    throw new ManifestError(`${at}argv`, 'is required for job_type command');
  if (jobType === 'training' && !config.script && !config.job_params)
    throw new ManifestError(`${at}script`, 'is required for job_type training');
  return config;
}

function parseParam(raw: unknown, at: string): ParamSpec {
  if (!isObj(raw)) throw new ManifestError(at.slice(0, -1), 'must be a mapping');
  const name = optString(raw, 'name', at);
  if (name === undefined || !/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(name))
    throw new ManifestError(`${at}name`, 'must be an identifier (letters, digits, _ or -)');
  const type = (optString(raw, 'type', at) ?? 'string') as ParamType;
  if (!PARAM_TYPES.includes(type))
    throw new ManifestError(`${at}type`, `must be one of ${PARAM_TYPES.join(', ')}`);
  const spec: ParamSpec = { name, type, help: optString(raw, 'help', at) };
  if (raw.choices !== undefined) {
    if (!Array.isArray(raw.choices) || raw.choices.length === 0)
      throw new ManifestError(`${at}choices`, 'must be a non-empty list');
    spec.choices = raw.choices.map((c, i) => {
      const problem = valueProblem(type, c, undefined);
      if (problem) throw new ManifestError(`${at}choices[${i}]`, problem);
      return c as ParamValue;
    });
  }
  if (raw.default !== undefined && raw.default !== null) {
    const problem = valueProblem(type, raw.default, spec.choices);
    if (problem) throw new ManifestError(`${at}default`, problem);
    spec.default = raw.default as ParamValue;
  }
  return spec;
}

/** Why `value` does not fit a parameter of `type` (with `choices`), or undefined when it does. */
export function valueProblem(
  type: ParamType,
  value: unknown,
  choices: ParamValue[] | undefined,
): string | undefined {
  if (!isScalar(value)) return `must be a ${type}`;
  switch (type) {
    case 'string':
    case 'path':
      if (typeof value !== 'string') return `must be a ${type === 'path' ? 'path (string)' : 'string'}`;
      if (value.includes('\0')) return 'must not contain a NUL character';
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return 'must be an integer';
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a finite number';
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return 'must be true or false';
      break;
  }
  if (choices && !choices.includes(value))
    return `must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`;
  return undefined;
}

function checkRelative(field: string, path: string): void {
  if (path === '' || path.startsWith('/') || path.includes('\0') || path.split('/').some((p) => p === '..'))
    throw new ManifestError(field, 'must be a relative path inside the project (no leading /, no ..)');
}

function checkPlaceholders(field: string, text: string, params: Set<string>): void {
  for (const [, name] of text.matchAll(PLACEHOLDER))
    if (!params.has(name) && !BUILTIN_PLACEHOLDERS.includes(name))
      throw new ManifestError(
        field,
        `{${name}} is neither a param nor one of ${BUILTIN_PLACEHOLDERS.join(', ')}`,
      );
}

/** Replaces `{name}` placeholders from `values`; a boolean becomes `true`/`false`. */
export function fillPlaceholders(text: string, values: Record<string, ParamValue>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/** `{config}`/`{project}` in an output_dir pattern. */
export function outputDirFor(projectDir: string, pattern: string, config: string, project: string): string {
  const rel = pattern.replaceAll('{config}', config.replace(/\.ya?ml$/, '')).replaceAll('{project}', project);
  return `${projectDir}/${rel}`.replace(/\/+$/, '');
}
