import { MAX_TIME_LIMIT_SECONDS } from '@trainyard/core';
import {
  JOB_PARAM_TYPES,
  JobParamSchema,
  JobParamType,
  JobTypeDefinition,
  PATH_KINDS,
  PathKind,
  UserJobTypeConfig,
} from './job-type';
import { getEnvMap, getStringList } from './job-type-helpers';
import { checkValue } from './validate-job-params';

/** A bad `job_types:` block; the server refuses to boot with this message. */
export class JobTypeConfigError extends Error {
  override readonly name = 'JobTypeConfigError';
}

export const JOB_TYPE_NAME = /^[a-z][a-z0-9_-]*$/;
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Placeholders every template may use besides its params. */
const BUILTIN_PLACEHOLDERS = ['gpus', 'queue_id'] as const;
const TYPE_KEYS = new Set(['name', 'description', 'argv', 'params', 'default_gpus', 'default_time_limit_s']);
const PARAM_KEYS = new Set([
  'name',
  'type',
  'required',
  'default',
  'choices',
  'description',
  'min',
  'max',
  'path_kind',
]);

type Segment =
  { kind: 'text'; text: string } | { kind: 'param'; name: string } | { kind: 'gpus' } | { kind: 'queue_id' };
type TemplateElement = { kind: 'splice'; name: string } | { kind: 'join'; segments: Segment[] };

/**
 * Compiles one `job_types:` entry. Template rules (no shell is ever involved):
 * - `{name}` is replaced by a scalar param's value inside its argv element (`--lr={lr}` stays one
 *   element); `{gpus}` is the comma-joined assigned GPU indices, `{queue_id}` the job's id;
 * - `{name...}` must be a whole element and splices a string_list param (zero or more elements);
 * - `{{` and `}}` are literal braces.
 * Every problem found is reported at once, prefixed with `where` (e.g. `job_types[2] "sweep"`).
 */
export function compileUserJobType(
  raw: unknown,
  where: string,
  takenNames: ReadonlyMap<string, 'builtin' | 'user'>,
): JobTypeDefinition {
  const problems: string[] = [];
  if (!isRecord(raw)) throw new JobTypeConfigError(`${where}: must be a mapping with name, argv and params`);
  const config = raw as Partial<Record<keyof UserJobTypeConfig, unknown>>;

  const name = typeof config.name === 'string' ? config.name : '';
  const label = typeof config.name === 'string' ? `${where} "${config.name}"` : where;
  if (!JOB_TYPE_NAME.test(name)) {
    problems.push(`name ${JSON.stringify(config.name ?? null)} must match ${JOB_TYPE_NAME.source}`);
  } else if (takenNames.get(name) === 'builtin') {
    problems.push(`name "${name}" clashes with the built-in job type of that name`);
  } else if (takenNames.get(name) === 'user') {
    problems.push(`name "${name}" is defined more than once`);
  }
  for (const key of Object.keys(config)) if (!TYPE_KEYS.has(key)) problems.push(`unknown key "${key}"`);
  if (config.description !== undefined && typeof config.description !== 'string') {
    problems.push('description must be a string');
  }
  const defaultGpus = config.default_gpus ?? 0;
  if (typeof defaultGpus !== 'number' || !Number.isInteger(defaultGpus) || defaultGpus < 0) {
    problems.push('default_gpus must be a non-negative integer');
  }
  const limit = config.default_time_limit_s;
  if (
    limit !== undefined &&
    limit !== null &&
    (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_TIME_LIMIT_SECONDS)
  ) {
    problems.push(
      `default_time_limit_s must be a whole number of seconds 1..${MAX_TIME_LIMIT_SECONDS}, or null`,
    );
  }

  const declared = compileParams(config.params, problems);
  const template = compileTemplate(config.argv, declared, problems);
  if (problems.length > 0) throw new JobTypeConfigError(`${label}: ${problems.join('; ')}`);
  // A param that is the program (`argv: ["{prog}", …]`) is refused blank at submit.
  const program = programParam(template);
  const params = declared.map((p) => (p.name === program ? { ...p, program: true } : p));

  const envParams = params.filter((p) => p.type === 'env_map').map((p) => p.name);
  return {
    name,
    description:
      typeof config.description === 'string' ? config.description : `User-defined job type ${name}`,
    params,
    defaultGpus: defaultGpus as number,
    ...(limit !== undefined && { defaultTimeLimitS: limit as number | null }),
    build: ({ params: values, gpuIndices, queueId }) => {
      const argv: string[] = [];
      for (const element of template) {
        if (element.kind === 'splice') {
          argv.push(...getStringList(values, element.name));
          continue;
        }
        let text = '';
        for (const s of element.segments) {
          if (s.kind === 'text') text += s.text;
          else if (s.kind === 'gpus') text += gpuIndices.join(',');
          else if (s.kind === 'queue_id') text += queueId;
          else text += scalarText(values[s.name], s.name);
        }
        argv.push(text);
      }
      // env_map params have no argv form; they extend the job's environment instead.
      const env = Object.assign({}, ...envParams.map((p) => getEnvMap(values, p))) as Record<string, string>;
      return { argv, env, secretFiles: [] };
    },
  };
}

/** The param whose value alone is the template's first element (the program), if one is. */
function programParam(template: TemplateElement[]): string | undefined {
  const first = template[0];
  if (first?.kind === 'splice') return first.name;
  const only = first?.segments.length === 1 ? first.segments[0] : undefined;
  return only?.kind === 'param' ? only.name : undefined;
}

function compileParams(raw: unknown, problems: string[]): JobParamSchema[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push('params must be a list');
    return [];
  }
  const out: JobParamSchema[] = [];
  const seen = new Set<string>();
  raw.forEach((entry: unknown, i) => {
    if (!isRecord(entry)) {
      problems.push(`params[${i}] must be a mapping`);
      return;
    }
    const at = typeof entry.name === 'string' ? `param "${entry.name}"` : `params[${i}]`;
    const before = problems.length;
    for (const key of Object.keys(entry))
      if (!PARAM_KEYS.has(key)) problems.push(`${at}: unknown key "${key}"`);
    const name = entry.name;
    if (typeof name !== 'string' || !PARAM_NAME.test(name)) {
      problems.push(`${at}: name must match ${PARAM_NAME.source}`);
    } else if ((BUILTIN_PLACEHOLDERS as readonly string[]).includes(name)) {
      problems.push(`${at}: "${name}" is a built-in placeholder and cannot be a param name`);
    } else if (seen.has(name)) {
      problems.push(`${at}: defined more than once`);
    }
    const type = entry.type;
    if (typeof type !== 'string' || !(JOB_PARAM_TYPES as readonly string[]).includes(type)) {
      problems.push(`${at}: type must be one of ${JOB_PARAM_TYPES.join(', ')}`);
    }
    if (entry.required !== undefined && typeof entry.required !== 'boolean') {
      problems.push(`${at}: required must be true or false`);
    }
    if (entry.description !== undefined && typeof entry.description !== 'string') {
      problems.push(`${at}: description must be a string`);
    }
    for (const bound of ['min', 'max'] as const) {
      if (
        entry[bound] !== undefined &&
        (typeof entry[bound] !== 'number' || !Number.isFinite(entry[bound]))
      ) {
        problems.push(`${at}: ${bound} must be a number`);
      }
    }
    const choices = entry.choices;
    if (type === 'choice') {
      if (!Array.isArray(choices) || choices.length === 0 || !choices.every((c) => typeof c === 'string')) {
        problems.push(`${at}: a choice param needs a non-empty list of string choices`);
      }
    } else if (choices !== undefined) {
      problems.push(`${at}: choices only apply to type choice`);
    }
    const pathKind = entry.path_kind;
    if (pathKind !== undefined && type !== 'path') {
      problems.push(`${at}: path_kind only applies to type path`);
    } else if (pathKind !== undefined && !(PATH_KINDS as readonly unknown[]).includes(pathKind)) {
      problems.push(`${at}: path_kind must be one of ${PATH_KINDS.join(', ')}`);
    }
    if (problems.length > before) return;

    const schema: JobParamSchema = {
      name: name as string,
      type: type as JobParamType,
      required: (entry.required as boolean | undefined) ?? false,
      description: (entry.description as string | undefined) ?? '',
      ...(entry.default !== undefined && { default: entry.default }),
      ...(pathKind !== undefined && { path_kind: pathKind as PathKind }),
      ...(choices !== undefined && { choices: (choices as string[]).slice() }),
      ...(entry.min !== undefined && { min: entry.min as number }),
      ...(entry.max !== undefined && { max: entry.max as number }),
    };
    // A bad default would only surface as a launch failure much later.
    const badDefault = schema.default === undefined ? undefined : checkValue(schema, schema.default);
    if (badDefault !== undefined) problems.push(`${at}: default invalid: ${badDefault}`);
    seen.add(schema.name);
    out.push(schema);
  });
  return out;
}

function compileTemplate(raw: unknown, params: JobParamSchema[], problems: string[]): TemplateElement[] {
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((a) => typeof a === 'string')) {
    problems.push('argv must be a non-empty list of strings');
    return [];
  }
  const byName = new Map(params.map((p) => [p.name, p]));
  const known = () => `params: ${params.map((p) => p.name).join(', ') || 'none'}; built-ins: gpus, queue_id`;
  const template: TemplateElement[] = [];

  raw.forEach((element, i) => {
    const at = `argv[${i}] ${JSON.stringify(element)}`;
    const segments: Segment[] = [];
    let text = '';
    let pos = 0;
    while (pos < element.length) {
      const ch = element[pos];
      const next = element[pos + 1];
      if ((ch === '{' && next === '{') || (ch === '}' && next === '}')) {
        text += ch;
        pos += 2;
        continue;
      }
      if (ch === '}') {
        problems.push(`${at}: stray "}" (write "}}" for a literal brace)`);
        return;
      }
      if (ch !== '{') {
        text += ch;
        pos++;
        continue;
      }
      const close = element.indexOf('}', pos);
      if (close < 0) {
        problems.push(`${at}: unterminated placeholder (write "{{" for a literal brace)`);
        return;
      }
      const body = element.slice(pos + 1, close);
      const placeholder = `{${body}}`;
      pos = close + 1;
      const splice = body.endsWith('...');
      const ref = splice ? body.slice(0, -3) : body;
      const p = byName.get(ref);

      if (splice) {
        if (element !== placeholder) {
          problems.push(`${at}: ${placeholder} must be a whole argv element`);
        } else if (p === undefined) {
          problems.push(`unknown placeholder ${placeholder} in ${at} (${known()})`);
        } else if (p.type !== 'string_list') {
          problems.push(`${at}: ${placeholder} splices a list, but "${ref}" is ${p.type}`);
        } else {
          template.push({ kind: 'splice', name: ref });
        }
        return;
      }
      if (text) segments.push({ kind: 'text', text });
      text = '';
      if (ref === 'gpus' || ref === 'queue_id') {
        segments.push({ kind: ref });
      } else if (p === undefined) {
        problems.push(`unknown placeholder ${placeholder} in ${at} (${known()})`);
      } else if (p.type === 'string_list') {
        problems.push(`${at}: "${ref}" is a list; use {${ref}...} as a whole element`);
      } else if (p.type === 'env_map') {
        problems.push(`${at}: "${ref}" is an env_map and goes to the environment, not argv`);
      } else if (!p.required && p.default === undefined) {
        // Dropping or emptying the value would silently change the command (`--lr ""`).
        problems.push(`${at}: "${ref}" is optional without a default; make it required or give it a default`);
      } else {
        segments.push({ kind: 'param', name: ref });
      }
    }
    if (text) segments.push({ kind: 'text', text });
    template.push({ kind: 'join', segments });
  });
  return template;
}

function scalarText(value: unknown, name: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  throw new TypeError(`job param ${name}: expected a validated scalar`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
