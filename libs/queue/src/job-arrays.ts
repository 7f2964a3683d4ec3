import { abbreviates, type ErrorDetail } from '@trainyard/core';
import leven from 'leven';

/** One submit makes at most this many jobs (count × the sweep's points). */
export const MAX_ARRAY_JOBS = 10_000;
/** Sweep parameters per array. */
export const MAX_SWEEP_PARAMS = 16;

export type SweepValue = string | number | boolean;

/** `array` of a submit: `count` copies of each point of the cartesian product of `sweep`. */
export interface ArraySpec {
  count?: number;
  sweep?: Record<string, SweepValue[]>;
  max_running?: number;
}

/** One job of an array: its index and the sweep values it gets (empty without a sweep). */
export interface ArrayPoint {
  index: number;
  values: Record<string, SweepValue>;
}

const SWEEP_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/**
 * Checks an array spec, adding a detail per fault (fields `array.count`, `array.sweep.lr`, ...: a
 * parameter's values must be distinct as the text they put in a command), and returns how many jobs it makes (0 when invalid).
 */
export function checkArraySpec(spec: ArraySpec, details: ErrorDetail[]): number {
  const before = details.length;
  const count = spec.count ?? 1;
  const sweep = spec.sweep ?? {};
  const keys = Object.keys(sweep);
  if (spec.count === undefined && keys.length === 0)
    details.push({ field: 'array', message: 'array needs a count or a sweep' });
  if (keys.length > MAX_SWEEP_PARAMS)
    details.push({
      field: 'array.sweep',
      message: `array.sweep has more than ${MAX_SWEEP_PARAMS} parameters`,
    });
  let points = 1;
  for (const key of keys) {
    const values = sweep[key];
    const field = `array.sweep.${key}`;
    if (!SWEEP_KEY.test(key) || key === 'index')
      details.push({
        field,
        message: `sweep parameter "${key}" must be a name (letters, digits, _ . -) other than "index"`,
      });
    else if (!Array.isArray(values) || values.length === 0)
      details.push({ field, message: `${field} must be a non-empty list of values` });
    else if (
      values.some(
        (v) =>
          !['string', 'number', 'boolean'].includes(typeof v) ||
          (typeof v === 'number' && !Number.isFinite(v)),
      )
    )
      details.push({ field, message: `${field} values must be strings, numbers or booleans` });
    else {
      // Each point twice would be the same job twice (`count` is for repeats). Values are judged by
      // the text a placeholder becomes: 0.1 and "0.1", true and "true", 1 and "1" run the same command.
      const seen = new Map<string, SweepValue>();
      const twice = values.find((v) => {
        const first = seen.get(String(v));
        seen.set(String(v), first ?? v);
        return first !== undefined;
      });
      if (twice === undefined) points *= values.length;
      else {
        const first = seen.get(String(twice))!;
        details.push({
          field,
          message:
            first === twice
              ? `${field} lists ${JSON.stringify(twice)} more than once`
              : `${field} lists ${JSON.stringify(first)} and ${JSON.stringify(twice)}, the same value ("${String(twice)}" in the command)`,
        });
      }
    }
  }
  const total = count * points;
  if (details.length === before && total > MAX_ARRAY_JOBS)
    details.push({
      field: keys.length ? 'array.sweep' : 'array.count',
      message: `the array makes ${total} jobs; at most ${MAX_ARRAY_JOBS} per submit`,
    });
  return details.length === before ? total : 0;
}

/**
 * The jobs of an array in index order: the sweep's cartesian product, the first parameter varying
 * slowest, each point repeated `count` times (consecutive indices).
 */
export function expandArray(spec: ArraySpec): ArrayPoint[] {
  const count = spec.count ?? 1;
  let points: Record<string, SweepValue>[] = [{}];
  for (const [key, values] of Object.entries(spec.sweep ?? {}))
    points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  const out: ArrayPoint[] = [];
  for (const values of points) for (let r = 0; r < count; r++) out.push({ index: out.length, values });
  return out;
}

/** A `{name}` placeholder, the name in group 1. Global, for `replace` and `matchAll` (neither keeps state in it). */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;
/** One not after a `$` (`${HOME}` is the shell's), the name in group 2. */
const PLACEHOLDER_NOT_SHELL = new RegExp(`(^|[^$])${PLACEHOLDER.source}`, 'g');

/**
 * `{name}` placeholders replaced in every string of `value` (nested lists and objects too, keys
 * untouched); unknown placeholders stay as written. `vars` holds the sweep values and `index`.
 */
export function substitutePlaceholders(value: unknown, vars: Readonly<Record<string, SweepValue>>): unknown {
  if (typeof value === 'string')
    return value.replace(PLACEHOLDER, (whole, name: string) =>
      Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole,
    );
  if (Array.isArray(value)) return value.map((v) => substitutePlaceholders(v, vars));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitutePlaceholders(v, vars)]));
  return value;
}

/**
 * A `{name}` in `value` that is no parameter of the array — a sweep key or `index` — but so close
 * to one that it is surely a typo — `{lrr}` for `lr`, `{LR}`, `{batch_sz}` for `batch_size`,
 * `{INDEX}` — which would otherwise stay as written and launch the same command for every job.
 * Other braces (`${HOME}`, `{}`, `{x}` in a Python one-liner) are left alone. One detail per
 * typo, its field the JSON path (`job_params.argv[1]`, `env.LR`), or none.
 */
export function misspeltPlaceholders(value: unknown, keys: readonly string[], field: string): ErrorDetail[] {
  if (typeof value === 'string') {
    const found: ErrorDetail[] = [];
    const known = [...keys, 'index'];
    for (const m of value.matchAll(PLACEHOLDER_NOT_SHELL)) {
      const name = m[2];
      if (known.includes(name)) continue;
      const near = known.find(
        (key) =>
          key.toLowerCase() === name.toLowerCase() ||
          leven(key, name) <= (key.length >= 6 ? 2 : 1) ||
          abbreviates(name, key),
      );
      if (near)
        found.push({
          field,
          message: keys.length
            ? `${field}: {${name}} is not a sweep parameter; did you mean {${near}}? (the sweep has ${keys.map((k) => `{${k}}`).join(', ')} and {index})`
            : `${field}: {${name}} is not an array parameter; did you mean {index}? (an array without a sweep has {index} only)`,
        });
    }
    return found;
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => misspeltPlaceholders(v, keys, `${field}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => misspeltPlaceholders(v, keys, `${field}.${k}`));
  return [];
}

/**
 * The sweep parameters that would change nothing: no `{name}` placeholder in any string of
 * `jobParams` (pass the environment too: a value there sets jobs apart as well) and no parameter
 * of the job type by that name. Every job of such a sweep would run
 * the same command under names that differ (`train lr=1e-4` running the script's default).
 */
export function unusedSweepKeys(
  jobParams: unknown,
  keys: readonly string[],
  paramNames: readonly string[],
): string[] {
  const used = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') for (const m of value.matchAll(PLACEHOLDER)) used.add(m[1]);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(jobParams);
  return keys.filter((key) => !used.has(key) && !paramNames.includes(key));
}

/** What `{name}` stands for in one job of an array: its sweep values and `index`. */
export function placeholderValues(point: ArrayPoint): Record<string, SweepValue> {
  return { ...point.values, index: point.index };
}

/**
 * A job's name in an array carries what sets it apart: "train lr=1e-3 bs=32" / "train [3]". A
 * name with placeholders has them replaced and only the values it does not show yet added:
 * "lr-{lr}" → "lr-1e-3 bs=32".
 */
export function arrayJobName(base: string, point: ArrayPoint, repeated: boolean): string {
  const shown = new Set([...base.matchAll(PLACEHOLDER)].map((m) => m[1]));
  const name = substitutePlaceholders(base, placeholderValues(point)) as string;
  const values = Object.entries(point.values)
    .filter(([k]) => !shown.has(k))
    .map(([k, v]) => `${k}=${String(v)}`);
  if ((repeated || Object.keys(point.values).length === 0) && !shown.has('index'))
    values.push(`[${point.index}]`);
  return values.length ? `${name} ${values.join(' ')}` : name;
}

/** How an array's jobs stand, for a refusal: "2 done, 1 failed". */
export function arrayStanding(jobs: ReadonlyArray<{ status: string }>): string {
  const counts = new Map<string, number>();
  for (const job of jobs) counts.set(job.status, (counts.get(job.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
}
