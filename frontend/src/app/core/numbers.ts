import { MAX_PRIORITY } from '@trainyard/sdk';

/**
 * Strict reading of what a user typed into a numeric field. Number() is too lenient for a form
 * ("" → 0, "0x10" → 16, " 1e3 " → 1000), and an `<input type="number">` reports "" for text it cannot
 * parse ("e"), so the console's numeric inputs are text inputs checked here.
 */

/** An integer: optional sign and digits, surrounding blanks ignored; null for anything else. */
export function parseInteger(text: string): number | null {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

/** The priorities the server takes (a job's, a GPU's gate), in words for a field's error. */
export const PRIORITY_RANGE = `A whole number from ${(-MAX_PRIORITY).toLocaleString('en-US')} to ${MAX_PRIORITY.toLocaleString('en-US')}`;

/** A priority: an integer within ±MAX_PRIORITY (the server refuses more); null for anything else. */
export function parsePriority(text: string): number | null {
  const n = parseInteger(text);
  return n !== null && Math.abs(n) <= MAX_PRIORITY ? n : null;
}

/** A finite decimal number (`1.5`, `-.5`, `2e-3`); null for anything else (hex, Infinity, blank). */
export function parseDecimal(text: string): number | null {
  const t = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}
