import { DomainError, ErrorDetail, unknownFields } from '@trainyard/core';
import { encodeConfig, numberFromJson, StoredConfig } from './run-values';

/** goodseed's three, and `aborted`: the run of a job stopped on request (kill, time limit). */
export const RUN_STATUSES = ['running', 'finished', 'failed', 'aborted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Most metric + string points one log request may carry (more → 413). */
export const MAX_POINTS_PER_BATCH = 10_000;
/** Longest series or config path, in characters. */
export const MAX_PATH_LENGTH = 512;
/** Longest string point value, in characters (the 1 MiB body limit bounds the batch). */
export const MAX_STRING_VALUE_LENGTH = 65_536;

/** A validated log request: parallel columns for points (cheap to insert in bulk). */
export interface LogBatch {
  metrics: { paths: string[]; steps: number[]; values: number[] };
  strings: { paths: string[]; steps: number[]; values: string[] };
  configs: Array<{ path: string } & StoredConfig>;
  status: RunStatus | undefined;
}

/** Enough to act on; a batch of 10,000 bad points should not answer with 10,000 lines. */
const MAX_PROBLEMS = 20;

class Problems {
  readonly details: ErrorDetail[] = [];
  add(field: string, message: string): void {
    if (this.details.length < MAX_PROBLEMS) this.details.push({ field, message: `${field} ${message}` });
  }
  /** Details already worded in full (`unknown field metrics[0].extra …`). */
  addDetails(details: ErrorDetail[]): void {
    for (const detail of details) if (this.details.length < MAX_PROBLEMS) this.details.push(detail);
  }
}

/** What a metric or string point takes. */
const POINT_FIELDS = ['path', 'step', 'value'] as const;

// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A `/` at either end or twice in a row (an empty part), or white space at either end of a part:
 * `a/`, `/a//b` and ` loss` would each be a series apart from `a`, `a/b` and `loss` that reads the same.
 */
const UNTIDY_PATH = /^\/|\/$|\/\/|^\s|\s$|\s\/|\/\s/;

function checkPath(problems: Problems, field: string, path: unknown): path is string {
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH_LENGTH || CONTROL.test(path)) {
    problems.add(
      field,
      `must be a non-empty string of at most ${MAX_PATH_LENGTH} characters without control characters`,
    );
    return false;
  }
  if (UNTIDY_PATH.test(path)) {
    problems.add(
      field,
      `must be parts joined by single "/" (no "/" at either end, no empty part, no space at either end of a part): got ${JSON.stringify(path)}`,
    );
    return false;
  }
  return true;
}

/** How deep a config object may nest (`a/b/…`): past it, a 400 rather than a deep recursion. */
const MAX_CONFIG_DEPTH = 16;

/**
 * The configs of a log request as `{path, value}` leaves: a nested object becomes `parent/child`
 * paths (`{"model": {"layers": 4}}` → `model/layers`), as the Python client and goodseed flatten
 * them, and an empty one is the text `{}`; an object with a `type_tag` is a value (`{type_tag, value}`), not a level. `field` names each
 * leaf as sent (`configs.model.layers`).
 */
function flattenConfigs(
  problems: Problems,
  configs: Record<string, unknown>,
  at: { field: string; path: string; depth: number } = { field: 'configs', path: '', depth: 0 },
): Array<{ field: string; path: string; raw: unknown }> {
  const leaves: Array<{ field: string; path: string; raw: unknown }> = [];
  for (const [key, raw] of Object.entries(configs)) {
    const field = `${at.field}.${key}`;
    const path = at.path ? `${at.path}/${key}` : key;
    const level = raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !('type_tag' in raw);
    if (!level) leaves.push({ field, path, raw });
    // An empty section (`{"callbacks": {}}`) is kept as its JSON text, as a list of numbers is
    // (goodseed has no object type), not dropped without a word; the Python client does the same.
    else if (Object.keys(raw).length === 0) leaves.push({ field, path, raw: '{}' });
    else if (at.depth + 1 >= MAX_CONFIG_DEPTH)
      problems.add(field, `nests deeper than ${MAX_CONFIG_DEPTH} levels`);
    else
      leaves.push(
        ...flattenConfigs(problems, raw as Record<string, unknown>, { field, path, depth: at.depth + 1 }),
      );
  }
  return leaves;
}

function checkStep(problems: Problems, field: string, step: unknown): step is number {
  if (typeof step !== 'number' || !Number.isFinite(step)) {
    problems.add(field, 'must be a finite number');
    return false;
  }
  // Past 2^53 a step is no longer exact: 9007199254740993 arrives as …992 and overwrites it.
  if (Math.abs(step) > Number.MAX_SAFE_INTEGER) {
    problems.add(field, `must be within ±${Number.MAX_SAFE_INTEGER} (larger numbers are not exact)`);
    return false;
  }
  return true;
}

/** Metric paths the server writes itself (a job's hardware series): a client may not log under them. */
export const SERVER_PREFIX = 'sys/';

/**
 * Validates a `POST /api/runs/{run_id}/log` body by hand (class-validator costs microseconds per
 * object, too much for 10,000 points). Throws PAYLOAD_TOO_LARGE (413) past {@link MAX_POINTS_PER_BATCH}
 * points, VALIDATION_FAILED (400) naming each bad field (`metrics[3].value`) otherwise.
 */
export function parseLogBatch(body: unknown): LogBatch {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new DomainError('VALIDATION_FAILED', 'Invalid request: body must be a JSON object', [
      { field: 'body', message: 'body must be a JSON object' },
    ]);
  const problems = new Problems();
  const { metrics, strings, configs, status, ...unknown } = body as Record<string, unknown>;
  problems.addDetails(unknownFields(unknown, ['metrics', 'strings', 'configs', 'status'], ''));
  for (const [field, list] of [
    ['metrics', metrics],
    ['strings', strings],
  ] as const) {
    if (list !== undefined && !Array.isArray(list))
      problems.add(field, 'must be an array of {path, step, value}');
  }
  const count = (Array.isArray(metrics) ? metrics.length : 0) + (Array.isArray(strings) ? strings.length : 0);
  if (count > MAX_POINTS_PER_BATCH)
    throw new DomainError(
      'PAYLOAD_TOO_LARGE',
      `A log request carries at most ${MAX_POINTS_PER_BATCH} points (metrics + strings); this one has ${count}: split it`,
      [
        {
          field: 'metrics',
          message: `metrics + strings hold ${count} points (limit ${MAX_POINTS_PER_BATCH})`,
        },
      ],
    );

  const batch: LogBatch = {
    metrics: { paths: [], steps: [], values: [] },
    strings: { paths: [], steps: [], values: [] },
    configs: [],
    status: undefined,
  };
  if (Array.isArray(metrics)) {
    for (let i = 0; i < metrics.length; i++) {
      const point = metrics[i] as Record<string, unknown> | null;
      const at = `metrics[${i}]`;
      if (point === null || typeof point !== 'object' || Array.isArray(point)) {
        problems.add(at, 'must be an object {path, step, value}');
        continue;
      }
      problems.addDetails(unknownFields(point, POINT_FIELDS, at));
      const value = numberFromJson(point.value);
      if (value === undefined)
        problems.add(`${at}.value`, 'must be a number, "NaN", "Infinity" or "-Infinity"');
      const path = checkPath(problems, `${at}.path`, point.path) ? point.path : undefined;
      if (path?.startsWith(SERVER_PREFIX))
        problems.add(
          `${at}.path`,
          `must not start with ${SERVER_PREFIX}: the server's own hardware series are there`,
        );
      if (
        path !== undefined &&
        !path.startsWith(SERVER_PREFIX) &&
        checkStep(problems, `${at}.step`, point.step) &&
        value !== undefined
      ) {
        batch.metrics.paths.push(path);
        batch.metrics.steps.push(point.step);
        batch.metrics.values.push(value);
      }
    }
  }
  if (Array.isArray(strings)) {
    for (let i = 0; i < strings.length; i++) {
      const point = strings[i] as Record<string, unknown> | null;
      const at = `strings[${i}]`;
      if (point === null || typeof point !== 'object' || Array.isArray(point)) {
        problems.add(at, 'must be an object {path, step, value}');
        continue;
      }
      problems.addDetails(unknownFields(point, POINT_FIELDS, at));
      const value = point.value;
      const okValue = typeof value === 'string' && value.length <= MAX_STRING_VALUE_LENGTH;
      if (!okValue)
        problems.add(`${at}.value`, `must be a string of at most ${MAX_STRING_VALUE_LENGTH} characters`);
      if (
        checkPath(problems, `${at}.path`, point.path) &&
        checkStep(problems, `${at}.step`, point.step) &&
        okValue
      ) {
        batch.strings.paths.push(point.path);
        batch.strings.steps.push(point.step);
        batch.strings.values.push(value);
      }
    }
  }
  if (configs !== undefined) {
    if (configs === null || typeof configs !== 'object' || Array.isArray(configs)) {
      problems.add('configs', 'must be an object {path: value}');
    } else {
      for (const { field, path, raw } of flattenConfigs(problems, configs as Record<string, unknown>)) {
        if (!checkPath(problems, field, path)) continue;
        try {
          batch.configs.push({ path, ...encodeConfig(field, raw) });
        } catch (err) {
          const detail = ((err as DomainError).details as ErrorDetail[] | undefined)?.[0];
          problems.add(field, detail ? detail.message.slice(field.length + 1) : 'is invalid');
        }
      }
    }
  }
  if (status !== undefined) {
    if ((RUN_STATUSES as readonly unknown[]).includes(status)) batch.status = status as RunStatus;
    else problems.add('status', `must be one of ${RUN_STATUSES.join(', ')}`);
  }
  if (problems.details.length > 0)
    throw new DomainError(
      'VALIDATION_FAILED',
      `Invalid request: ${problems.details.map((d) => d.message).join('; ')}`,
      problems.details,
    );
  return batch;
}
