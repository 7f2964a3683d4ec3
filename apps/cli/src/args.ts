import { MAX_PRIORITY, ambiguousClock, parseByteSize, parseDuration as readDuration } from '@trainyard/sdk';
import { Option } from 'commander';
import { CliError, EXIT } from './errors';

/** Commander collector for repeatable options (`--env A=1 --env B=2`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A whole number from a flag or argument; `what` names it in the error (`--gpus`, `<index>`). */
export function parseInteger(
  text: string,
  what: string,
  options: { min?: number; max?: number } = {},
): number {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) {
    throw new CliError(`${what} must be a whole number, got "${text}"`, EXIT.invalid);
  }
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value)) throw new CliError(`${what} is out of range: ${text}`, EXIT.invalid);
  if (options.min !== undefined && value < options.min) {
    throw new CliError(`${what} must be at least ${options.min}, got ${value}`, EXIT.invalid);
  }
  if (options.max !== undefined && value > options.max) {
    throw new CliError(`${what} must be at most ${options.max}, got ${value}`, EXIT.invalid);
  }
  return value;
}

/** `-n, --lines <count>` of `job tail` and `cluster tail`; its value is read by {@link parseTailLines}. */
export function tailLinesOption(): Option {
  return new Option(
    '-n, --lines <count>',
    'start with the last <count> lines (0: only output still to come), as tail -n',
  );
}

/** `--lines` as given (undefined: not given); a usage error unless a whole number ≥ 0. */
export function parseTailLines(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseInteger(text, '--lines', { min: 0 });
}

/** How many rows a list shows when `--limit` is not given: a screenful-ish table. */
export const DEFAULT_TABLE_LIMIT = 100;

/**
 * A list command's `--limit`: as given, else {@link DEFAULT_TABLE_LIMIT} rows for a table and every
 * item for `--json` (a script reading the JSON must not be handed a silently cut list).
 */
export function listLimit(ctx: { json: boolean }, given: string | undefined): number {
  if (given !== undefined) return parseInteger(given, '--limit', { min: 1 });
  return ctx.json ? Infinity : DEFAULT_TABLE_LIMIT;
}

/**
 * A job priority or a GPU's priority gate, named `what` (the flag or argument): a whole number within
 * the server's bounds (±MAX_PRIORITY), checked here so the message names what the user typed.
 */
export function parsePriority(text: string, what: string): number {
  return parseInteger(text, what, { min: -MAX_PRIORITY, max: MAX_PRIORITY });
}

/** A finite number from a flag (`--step-min 0.5`, `-1e3`); `what` names it in the error. */
export function parseNumber(text: string, what: string): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (trimmed === '' || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(trimmed) || !Number.isFinite(value)) {
    throw new CliError(`${what} must be a number, got "${text}"`, EXIT.invalid);
  }
  return value;
}

/**
 * A duration in whole seconds, at least 1 (see the SDK's parseDuration: `90`, `30m`, `2h`,
 * `1h30m`, `1:30:00`); `none` → null (no limit) where the flag has one (`none: false`: it has not). Throws
 * naming the flag, and only the forms it takes, otherwise.
 */
export function parseDuration(text: string, what: string, { none = true } = {}): number | null {
  const seconds = readDuration(text);
  const ambiguous = ambiguousClock(text);
  if (ambiguous) throw new CliError(`${what}: ${ambiguous}`, EXIT.invalid);
  if (seconds === undefined || (seconds === null && !none))
    throw new CliError(
      `${what} takes a duration of at least 1s like 90, 30m, 2h, 1h30m or 1:30:00${none ? ' (or none)' : ''}, got "${text}"`,
      EXIT.invalid,
    );
  return seconds;
}

/**
 * A grace period in whole seconds: a duration as parseDuration reads it (`90`, `30s`, `2m`), zero
 * included (`0`, `0s`: SIGKILL right after SIGTERM). Throws naming the flag otherwise (`none`
 * included: there is always one).
 */
export function parseGracePeriod(text: string, what: string): number {
  const seconds = readDuration(text, { allowZero: true });
  if (seconds === undefined || seconds === null)
    throw new CliError(`${what} takes a duration like 90, 30s or 2m (or 0), got "${text}"`, EXIT.invalid);
  return seconds;
}

/**
 * A size in bytes (see the SDK's parseByteSize: `65536`, `64k`, `10M`, `1G`); `none` → 0, as the API
 * takes "no cap". Throws naming the flag otherwise.
 */
export function parseSize(text: string, what: string): number {
  const bytes = parseByteSize(text);
  if (bytes === undefined)
    throw new CliError(
      `${what} takes a size like 65536, 64k, 10M or 1G (or none), got "${text}"`,
      EXIT.invalid,
    );
  return bytes;
}

/** `K=V` (the value may contain `=`; it may be empty). */
export function splitKeyValue(text: string, what: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new CliError(`${what} takes KEY=VALUE, got "${text}"`, EXIT.invalid);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** `--param` values: JSON when they parse as JSON (`8080`, `true`, `[1,2]`, `"x"`), otherwise the text. */
export function parseParamValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** `--param-json '{...}'`: must be a JSON object. */
export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${what} is not valid JSON: ${(err as Error).message}`, EXIT.invalid);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError(`${what} must be a JSON object, got ${text}`, EXIT.invalid);
  }
  return value as Record<string, unknown>;
}
