import {
  type DependencyCondition,
  type GpuDto,
  type JobDto,
  type JobParamDescriptionDto,
  type JobTypeDto,
  type QueueItemDto,
  type SubmitJobRequestDto,
  MAX_KILL_GRACE_S,
  MIN_LOG_CAP_BYTES,
  formatByteSize,
  formatDuration,
  parseByteSize,
  parseDuration,
  ambiguousClock,
} from '@trainyard/sdk';
import { WHOLE_JOB_ID } from '../core/job-id';
import { parseDecimal, parseInteger, parsePriority, PRIORITY_RANGE } from '../core/numbers';
import { listText, splitList } from './argv';

/** What the form holds for one job type: text for every input (numbers too, so empty is possible). */
export interface FormValues {
  params: Record<string, string | boolean>;
  gpus: string;
  priority: string;
  name: string;
  cwd: string;
  env: string;
  /** May be preempted by a higher-priority job (checkpointed, then queued again). */
  preemptible: boolean;
  /** MIG profile (`1g.10gb`): `gpus` then counts MIG devices of it; '' = whole GPUs. */
  gpuProfile: string;
  /** Run-time cap as typed (`90m`, `2h`, `1h30m`, `1:30:00`, seconds, `none`); '' = the type's or server's default. */
  timeLimit: string;
  /** SIGTERM → SIGKILL grace when stopped, as typed (`30s`, `2m`, `0`); '' = the server's default. */
  killGrace: string;
  /** Most of its log kept, as typed (`64K`, `1G`, `none`); '' = the server's default. */
  logCap: string;
  /** Jobs this one waits for; a row with a blank id is ignored. */
  dependsOn: DependencyRow[];
  /** Array size ('' or 1 = a single job) and its cap on jobs running at once ('' = no cap). */
  arrayCount: string;
  arrayMaxRunning: string;
}

/** One "Depends on" row: a queue id and the condition (Slurm's after_ok, after_any, ...). */
export interface DependencyRow {
  queueId: string;
  condition: DependencyCondition;
}

/** The conditions, in the order the select offers them, with what each waits for. */
export const DEPENDENCY_CHOICES: ReadonlyArray<{ value: DependencyCondition; label: string }> = [
  { value: 'after_ok', label: 'after it succeeds' },
  { value: 'after_any', label: 'after it ends' },
  { value: 'after_not_ok', label: 'after it fails' },
  { value: 'after_start', label: 'after it starts' },
];

/** What the server allows in one array (count × sweep points). */
const MAX_ARRAY_JOBS = 10_000;

/** A MIG profile this host has, for the form's select. */
export interface MigProfileOption {
  profile: string;
  /** Devices of it not held by a job, on GPUs the scheduler may use (not disabled or excluded). */
  free: number;
  total: number;
}

/** The MIG profiles present on these GPUs, by name, with how many devices of each are free. */
export function migProfileOptions(gpus: readonly GpuDto[]): MigProfileOption[] {
  const byProfile = new Map<string, MigProfileOption>();
  for (const gpu of gpus) {
    for (const device of gpu.mig_devices) {
      const option = byProfile.get(device.profile) ?? { profile: device.profile, free: 0, total: 0 };
      option.total++;
      if (!device.reserved_by && !gpu.disabled && !gpu.excluded) option.free++;
      byProfile.set(device.profile, option);
    }
  }
  return [...byProfile.values()].sort((a, b) => a.profile.localeCompare(b.profile));
}

export type FieldErrors = Record<string, string>;

/** The form's starting point for a type: its defaults, then the values last submitted for it. */
export function initialValues(type: JobTypeDto, last: Partial<FormValues> | undefined): FormValues {
  const params: Record<string, string | boolean> = {};
  for (const p of type.params) params[p.name] = defaultValue(p);
  return {
    params: { ...params, ...pick(last?.params, type.params) },
    gpus: last?.gpus ?? String(type.default_gpus),
    priority: last?.priority ?? '0',
    name: last?.name ?? '',
    cwd: last?.cwd ?? '',
    env: last?.env ?? '',
    preemptible: last?.preemptible ?? false,
    gpuProfile: last?.gpuProfile ?? '',
    // Remembered: a limit suits a type's jobs. Not: dependencies name one-off jobs, and a remembered
    // array would silently turn the next submit into N jobs.
    timeLimit: typeof last?.timeLimit === 'string' ? last.timeLimit : '',
    killGrace: typeof last?.killGrace === 'string' ? last.killGrace : '',
    logCap: typeof last?.logCap === 'string' ? last.logCap : '',
    dependsOn: [],
    arrayCount: '',
    arrayMaxRunning: '',
  };
}

/**
 * The form filled in from an existing job (resubmit / clone): its parameters, GPUs (and MIG profile),
 * priority, name, working directory, environment, preemptibility, time limit, kill grace, log cap and
 * dependencies (not its array: a copy of one array job is one job). Parameters the type no longer has
 * are dropped.
 */
export function valuesFromJob(type: JobTypeDto, job: JobDto): FormValues {
  const params: Record<string, string | boolean> = {};
  for (const p of type.params) {
    params[p.name] = p.name in job.job_params ? textOf(p, job.job_params[p.name]) : defaultValue(p);
  }
  return {
    params,
    gpus: String(job.requested_gpus),
    priority: String(job.priority),
    name: job.name ?? '',
    cwd: job.cwd,
    env: Object.entries(job.env ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    preemptible: job.preemptible,
    gpuProfile: job.gpu_profile ?? '',
    // Absent from a job an older server sent (before time limits and dependencies).
    timeLimit: job.time_limit_s ? formatDuration(job.time_limit_s) : '',
    // Null when the job took the server's default: left blank, so the copy does too.
    killGrace: job.kill_grace_s == null ? '' : formatGrace(job.kill_grace_s),
    logCap: job.log_cap_bytes == null ? '' : formatByteSize(job.log_cap_bytes),
    dependsOn: (job.depends_on ?? []).map((d) => ({ queueId: d.queue_id, condition: d.condition })),
    arrayCount: '',
    arrayMaxRunning: '',
  };
}

/** Builds the request, or the errors by field (`job_params.<name>`, `requested_gpus`, ...) that stop it. */
export function buildBody(
  type: JobTypeDto,
  values: FormValues,
): { body: SubmitJobRequestDto } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const job_params: Record<string, unknown> = {};
  for (const p of type.params) {
    const field = `job_params.${p.name}`;
    const raw = values.params[p.name];
    const result = convert(p, raw);
    if ('error' in result) errors[field] = result.error;
    else if (result.value !== undefined) job_params[p.name] = result.value;
    else if (p.required) errors[field] = 'Required.';
  }

  const gpus = parseInteger(values.gpus) ?? -1;
  if (gpus < 0) errors['requested_gpus'] = 'A whole number, 0 or more.';
  // Blank means the default, 0.
  const priority = values.priority.trim() === '' ? 0 : parsePriority(values.priority);
  if (priority === null) errors['priority'] = `${PRIORITY_RANGE} (higher runs first).`;

  const env = parseEnv(values.env);
  if ('error' in env) errors['env'] = env.error;

  const timeLimit = parseTimeLimit(values.timeLimit);
  if (timeLimit === undefined)
    errors['time_limit_s'] =
      parseDuration(values.timeLimit, { allowZero: true }) === 0
        ? TIME_LIMIT_ZERO
        : (ambiguousClock(values.timeLimit) ?? TIME_LIMIT_HINT);
  const killGrace = parseKillGrace(values.killGrace);
  if (killGrace === undefined) errors['kill_grace_s'] = KILL_GRACE_HINT;
  const logCap = values.logCap.trim() === '' ? '' : parseByteSize(values.logCap);
  if (logCap === undefined || (typeof logCap === 'number' && logCap !== 0 && logCap < MIN_LOG_CAP_BYTES))
    errors['log_cap_bytes'] = LOG_CAP_HINT;
  const dependsOn = parseDependsOn(values.dependsOn);
  if ('errors' in dependsOn) Object.assign(errors, dependsOn.errors);
  const array = parseArray(values.arrayCount, values.arrayMaxRunning);
  if ('errors' in array) Object.assign(errors, array.errors);

  if (Object.keys(errors).length) return { errors };
  const body: SubmitJobRequestDto = {
    job_type: type.name,
    requested_gpus: gpus,
    priority: priority ?? 0,
    job_params,
  };
  if (values.name.trim()) body.name = values.name.trim();
  if (values.cwd.trim()) body.cwd = values.cwd.trim();
  if ('value' in env && Object.keys(env.value).length) body.env = env.value;
  if (values.preemptible) body.preemptible = true;
  if (values.gpuProfile) body.gpu_profile = values.gpuProfile;
  if (timeLimit !== '') body.time_limit_s = timeLimit ?? null;
  if (killGrace !== '') body.kill_grace_s = killGrace;
  if (logCap !== '' && logCap !== undefined) body.log_cap_bytes = logCap;
  if ('value' in dependsOn && dependsOn.value.length) body.depends_on = dependsOn.value;
  if ('value' in array && array.value) body.array = array.value;
  return { body };
}

/**
 * The toast after POST /api/queue answered `item`: the job, or for an array (the answer is its
 * first job) the array and how many jobs it has; then why it waits, when it does.
 */
export function submittedMessage(item: QueueItemDto, body: SubmitJobRequestDto): string {
  let what = item.name ?? item.queue_id;
  if (item.array_id) {
    const points = Object.values(body.array?.sweep ?? {}).reduce((n, values) => n * values.length, 1);
    const jobs = (body.array?.count ?? 1) * points;
    what = `array ${item.array_id} (${jobs} job${jobs === 1 ? '' : 's'})`;
  }
  return item.status === 'queued' && item.pending_reason
    ? `Queued ${what}: ${item.pending_reason}`
    : `Submitted ${what}.`;
}

export const KILL_GRACE_HINT = `A duration up to ${formatDuration(MAX_KILL_GRACE_S)}, like 30s or 2m (0: SIGKILL at once).`;
export const LOG_CAP_HINT = `A size of at least ${formatByteSize(MIN_LOG_CAP_BYTES)}, like 64K, 500M or 1G (none: no cap).`;

/** The kill grace as typed: '' (the default), whole seconds 0–MAX_KILL_GRACE_S, or undefined when not that. */
export function parseKillGrace(text: string): number | '' | undefined {
  if (text.trim() === '') return '';
  const seconds = parseDuration(text, { allowZero: true });
  return typeof seconds === 'number' && seconds <= MAX_KILL_GRACE_S ? seconds : undefined;
}

/** Seconds as the kill grace field shows them: `0` for none, else as parseDuration reads back. */
function formatGrace(seconds: number): string {
  return seconds === 0 ? '0' : formatDuration(seconds);
}

export const TIME_LIMIT_HINT = 'A duration like 90m, 2h, 1h30m, 1:30:00 or seconds (or none).';
/** A duration of nothing (`0`, `0m`): a limit no job could meet. */
export const TIME_LIMIT_ZERO = 'At least 1 s ("none" for no limit).';

/**
 * The Time limit field: seconds, null for `none` (no limit, overriding a default), '' when blank (the
 * type's or server's default), undefined when it is not a duration.
 */
export function parseTimeLimit(text: string): number | null | '' | undefined {
  return text.trim() === '' ? '' : parseDuration(text);
}

/** The Depends on rows as `depends_on`, skipping rows with a blank id; errors by row (`depends_on[i]`). */
export function parseDependsOn(
  rows: readonly DependencyRow[],
): { value: NonNullable<SubmitJobRequestDto['depends_on']> } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const value: NonNullable<SubmitJobRequestDto['depends_on']> = [];
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    const id = row.queueId.trim();
    if (id === '') return;
    // What `depends_on` takes: a whole queue id, or an array id (each of its jobs); the dialog
    // resolves short ids to whole ones before this.
    if (!WHOLE_JOB_ID.test(id))
      errors[`depends_on[${i}]`] = 'A queue id like q_1700000000000_0a1b2c3d, or an array id a_….';
    else if (seen.has(id)) errors[`depends_on[${i}]`] = 'Listed twice.';
    else value.push({ queue_id: id, condition: row.condition });
    seen.add(id);
  });
  return Object.keys(errors).length ? { errors } : { value };
}

/**
 * The Array fields as `array` (null when both are blank: one job); errors under `array.count` and
 * `array.max_running`, the server's field names. A cap needs a count above 1 to mean anything.
 */
export function parseArray(
  countText: string,
  maxRunningText: string,
): { value: SubmitJobRequestDto['array'] | null } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const count = countText.trim() === '' ? null : parseInteger(countText);
  const maxRunning = maxRunningText.trim() === '' ? null : parseInteger(maxRunningText);
  if (count !== null && (count < 1 || count > MAX_ARRAY_JOBS))
    errors['array.count'] = `A whole number from 1 to ${MAX_ARRAY_JOBS.toLocaleString('en')}.`;
  else if (count === null && countText.trim() !== '')
    errors['array.count'] = `A whole number from 1 to ${MAX_ARRAY_JOBS.toLocaleString('en')}.`;
  if (maxRunningText.trim() !== '' && (maxRunning === null || maxRunning < 1))
    errors['array.max_running'] = 'A whole number, 1 or more.';
  else if (maxRunning !== null && count === null)
    errors['array.count'] = 'Set a count for the cap to apply to.';
  if (Object.keys(errors).length) return { errors };
  if (count === null) return { value: null };
  return { value: maxRunning === null ? { count } : { count, max_running: maxRunning } };
}

/**
 * Maps a server `details[].field` to the form field showing it (`env.FOO` → `env`,
 * `array.sweep.lr` → `array.sweep`, `depends_on[1].queue_id` → the row sent second, `depends_on[i]`
 * by its place in `rows`, since rows with a blank id are not sent).
 */
export function formField(field: string, rows: readonly DependencyRow[] = []): string {
  if (field.startsWith('job_params.') || field.startsWith('array.'))
    return field.split('.').slice(0, 2).join('.');
  const dep = /^depends_on\[(\d+)\]/.exec(field);
  if (dep) {
    const sent = rows.flatMap((row, i) => (row.queueId.trim() === '' ? [] : [i]));
    const row = sent[Number(dep[1])];
    return row === undefined ? 'depends_on' : `depends_on[${row}]`;
  }
  return field.split('.')[0] ?? field;
}

/** A service's name, as the server requires it. */
export const SERVICE_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Maps a POST /api/services `details[].field` to the form field showing it: `args.port` →
 * `job_params.port`, `name` → the service-name input, `type` → the job type.
 */
export function serviceFormField(field: string): string {
  if (field === 'name') return 'service_name';
  if (field === 'type') return 'job_type';
  if (field.startsWith('args.')) return formField(`job_params.${field.slice('args.'.length)}`);
  return formField(field);
}

export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line !== '');
}

function convert(
  p: JobParamDescriptionDto,
  raw: string | boolean | undefined,
): { value: unknown } | { error: string } {
  if (p.type === 'boolean') return { value: raw === true };
  const text = typeof raw === 'string' ? raw : '';
  switch (p.type) {
    case 'integer':
    case 'number': {
      if (text.trim() === '') return { value: undefined };
      const n = p.type === 'integer' ? parseInteger(text) : parseDecimal(text);
      if (n === null) return { error: p.type === 'integer' ? 'A whole number.' : 'A number.' };
      if (p.min !== undefined && n < p.min) return { error: `At least ${p.min}.` };
      if (p.max !== undefined && n > p.max) return { error: `At most ${p.max}.` };
      return { value: n };
    }
    case 'string_list': {
      const split = splitList(text);
      if ('error' in split) return split;
      const list = split.args;
      if (p.min !== undefined && list.length < p.min && (p.required || list.length > 0)) {
        return { error: `At least ${p.min} item${p.min === 1 ? '' : 's'}.` };
      }
      return { value: list.length ? list : undefined };
    }
    case 'env_map': {
      const env = parseEnv(text);
      if ('error' in env) return env;
      return { value: Object.keys(env.value).length ? env.value : undefined };
    }
    default:
      return { value: text === '' ? undefined : text };
  }
}

/** A POSIX environment variable name (what the server accepts too). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseEnv(text: string): { value: Record<string, string> } | { error: string } {
  const out: Record<string, string> = {};
  for (const line of lines(text)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) return { error: `“${line}” is not KEY=VALUE.` };
    const key = line.slice(0, eq).trim();
    if (key === '') return { error: `“${line}” has no name before =.` };
    if (!ENV_NAME.test(key))
      return {
        error: `“${key}” is not a valid variable name: letters, digits and _, not starting with a digit.`,
      };
    out[key] = line.slice(eq + 1);
  }
  return { value: out };
}

function defaultValue(p: JobParamDescriptionDto): string | boolean {
  const d = p.default as unknown;
  if (d === undefined || d === null) {
    if (p.type === 'boolean') return false;
    return p.type === 'choice' && p.required && p.choices?.length ? p.choices[0] : '';
  }
  return textOf(p, d);
}

/** A parameter's value as the form's input holds it. */
function textOf(p: JobParamDescriptionDto, d: unknown): string | boolean {
  if (p.type === 'boolean') return d === true;
  if (d === undefined || d === null) return '';
  if (Array.isArray(d)) return listText(d.map(String));
  if (typeof d === 'object') {
    return Object.entries(d as Record<string, unknown>)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join('\n');
  }
  return String(d);
}

/** Keeps remembered values only for parameters the type still has, with the right kind of value. */
function pick(
  stored: Record<string, string | boolean> | undefined,
  params: JobParamDescriptionDto[],
): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  if (!stored) return out;
  for (const p of params) {
    const v = stored[p.name];
    if (p.type === 'boolean' ? typeof v === 'boolean' : typeof v === 'string') out[p.name] = v;
  }
  return out;
}
