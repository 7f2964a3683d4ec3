import { DomainError } from '@trainyard/core';

/**
 * JSON has no NaN or ±Infinity, so (as goodseed's server does) they travel as the strings "NaN",
 * "Infinity" and "-Infinity"; every other metric value is a JSON number.
 */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export function numberToJson(value: number): JsonNumber {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

/** A metric value from JSON, or undefined when it is neither a number nor one of the three strings. */
export function numberFromJson(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return undefined;
}

/** goodseed's config type tags; each value is stored as text the way goodseed stores it. */
export const CONFIG_TYPE_TAGS = ['bool', 'int', 'float', 'str', 'datetime', 'null', 'string_set'] as const;
export type ConfigTypeTag = (typeof CONFIG_TYPE_TAGS)[number];

/** A config as stored: its type tag and goodseed's text form (`"true"`, `"42"`, `"3.14"`, `""`, `["a","b"]`). */
export interface StoredConfig {
  type_tag: ConfigTypeTag;
  value: string;
}

/** What a config value reads back as in JSON (floats through {@link numberToJson}, sets as arrays). */
export type ConfigJsonValue = boolean | number | string | string[] | null;

const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function invalid(field: string, message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `Invalid request: ${field} ${message}`, [
    { field, message: `${field} ${message}` },
  ]);
}

/**
 * Encodes one config value from a log request. A plain JSON value gets its tag inferred (boolean →
 * bool, integral number → int, other number → float, string → str, null → null, array of strings →
 * string_set, any other array → str of its JSON); `{type_tag, value}` states it (needed for float 1.0, datetime and NaN/Infinity floats).
 * Throws VALIDATION_FAILED naming `field`.
 */
export function encodeConfig(field: string, raw: unknown): StoredConfig {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const { type_tag: tag, value, ...rest } = raw as Record<string, unknown>;
    if (Object.keys(rest).length > 0 || !(CONFIG_TYPE_TAGS as readonly unknown[]).includes(tag))
      throw invalid(
        field,
        `must be {type_tag, value} with type_tag one of ${CONFIG_TYPE_TAGS.join(', ')} (an object with a type_tag is a tagged value)`,
      );
    return encodeTagged(field, tag as ConfigTypeTag, value);
  }
  if (typeof raw === 'boolean') return encodeTagged(field, 'bool', raw);
  if (typeof raw === 'number') return encodeTagged(field, Number.isInteger(raw) ? 'int' : 'float', raw);
  if (typeof raw === 'string') return encodeTagged(field, 'str', raw);
  if (raw === null) return encodeTagged(field, 'null', null);
  if (Array.isArray(raw))
    // goodseed has no list type: a list of numbers (`betas: [0.9, 0.999]`) is kept as its JSON
    // text (as the Python client sends it too), rather than refusing the batch.
    return raw.every((v) => typeof v === 'string')
      ? encodeTagged(field, 'string_set', raw)
      : encodeTagged(field, 'str', JSON.stringify(raw));
  throw invalid(field, 'must be a JSON value');
}

function encodeTagged(field: string, tag: ConfigTypeTag, value: unknown): StoredConfig {
  switch (tag) {
    case 'bool':
      if (typeof value !== 'boolean') throw invalid(field, 'must be true or false (type_tag bool)');
      return { type_tag: tag, value: value ? 'true' : 'false' };
    case 'int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        throw invalid(field, 'must be a safe integer (type_tag int)');
      return { type_tag: tag, value: String(value) };
    case 'float': {
      const n = numberFromJson(value);
      if (n === undefined)
        throw invalid(field, 'must be a number, "NaN", "Infinity" or "-Infinity" (type_tag float)');
      return { type_tag: tag, value: String(n) };
    }
    case 'str':
      if (typeof value !== 'string') throw invalid(field, 'must be a string (type_tag str)');
      return { type_tag: tag, value };
    case 'datetime':
      if (typeof value !== 'string' || !ISO_DATETIME.test(value) || Number.isNaN(Date.parse(value)))
        throw invalid(field, 'must be an ISO 8601 date-time (type_tag datetime)');
      return { type_tag: tag, value };
    case 'null':
      if (value !== null && value !== undefined && value !== '')
        throw invalid(field, 'must be null (type_tag null)');
      return { type_tag: tag, value: '' };
    case 'string_set':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
        throw invalid(field, 'must be an array of strings (type_tag string_set)');
      return { type_tag: tag, value: JSON.stringify([...new Set(value)].sort()) };
  }
}

/**
 * Reads a stored config back (ours or a goodseed file's: Python writes floats as `nan`/`inf`).
 * An unknown tag or unreadable text comes back as the raw text, never an error.
 */
export function decodeConfig(tag: string, text: string | null): ConfigJsonValue {
  const value = text ?? '';
  switch (tag) {
    case 'bool':
      return value.toLowerCase() === 'true';
    case 'int': {
      const n = Number(value);
      return Number.isFinite(n) ? n : value;
    }
    case 'float': {
      const lower = value.trim().toLowerCase();
      if (lower === 'nan') return 'NaN';
      if (lower === 'inf' || lower === 'infinity' || lower === '+inf') return 'Infinity';
      if (lower === '-inf' || lower === '-infinity') return '-Infinity';
      const n = Number(value);
      return Number.isNaN(n) ? value : numberToJson(n);
    }
    case 'null':
      return null;
    case 'string_set':
      try {
        const parsed: unknown = JSON.parse(value);
        return Array.isArray(parsed) ? parsed.map(String) : value;
      } catch {
        return value;
      }
    default:
      return value;
  }
}
