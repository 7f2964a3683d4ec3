// Hand-written: how people type a size in bytes (CLI `submit --log-cap`, the server's --log-cap).

const UNIT_BYTES = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 } as const;

/**
 * Bytes from a whole number or a size like `64K`, `500M`, `1.5G`, `2GiB` (binary units: K = 1024;
 * case, blanks and a trailing `B`/`iB` do not matter; a fraction of a unit is rounded to whole
 * bytes); `none` → 0 (the API's "no cap"). Undefined when the text is none of these (also `-1`,
 * `1.5` without a unit, `12q`, the empty string), a size under one byte (`0.0001k`, which would
 * read as 0) or the number is beyond Number.MAX_SAFE_INTEGER.
 */
export function parseByteSize(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'none') return 0;
  const match = /^(\d+)(?:(\.\d+)?\s*([kmgt])(?:i?b)?|\s*b)?$/.exec(t);
  if (!match) return undefined;
  const [, whole, fraction = '', unit] = match;
  const bytes = unit
    ? Math.round(Number(whole + fraction) * UNIT_BYTES[unit as keyof typeof UNIT_BYTES])
    : Number(whole);
  // A size asked for must not round down to 0, which means "no cap".
  if (bytes === 0 && Number(whole + fraction) !== 0) return undefined;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/**
 * Bytes as the shortest text parseByteSize reads back exactly: 65536 → `64K`, 1073741824 → `1G`,
 * 1000 → `1000`, 0 → `none` (the API's "no cap").
 */
export function formatByteSize(bytes: number): string {
  if (bytes === 0) return 'none';
  for (const [unit, size] of Object.entries(UNIT_BYTES).reverse())
    if (bytes % size === 0) return `${bytes / size}${unit.toUpperCase()}`;
  return String(bytes);
}
