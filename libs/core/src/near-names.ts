import leven from 'leven';

/**
 * Whether `short` reads as an abbreviation of `long` — `idx` of `index`, `kill_grace_secs` of
 * `kill_grace_seconds` — for "did you mean" hints, which an edit distance misses (those are 2 and 3
 * edits away). Both split at `_` into as many parts; each part of `short` starts with its part's
 * first letter and keeps that part's letters in order. Case-insensitive; `short` has at least 3
 * characters and fewer than `long`.
 */
export function abbreviates(short: string, long: string): boolean {
  if (short.length < 3 || short.length >= long.length) return false;
  const parts = short.toLowerCase().split('_');
  const whole = long.toLowerCase().split('_');
  return parts.length === whole.length && parts.every((part, i) => isAbbreviatedPart(part, whole[i]));
}

function isAbbreviatedPart(part: string, of: string): boolean {
  if (!part || part[0] !== of[0]) return false;
  let at = 0;
  for (const char of part) {
    at = of.indexOf(char, at) + 1;
    if (at === 0) return false;
  }
  return true;
}

/** The candidate `name` is surely a slip of (a unit suffix missing, shortened or added, or a typo), if any. */
export function nearName(name: string, candidates: readonly string[]): string | undefined {
  if (name.replace(/^-+/, '').length < 2) return undefined; // `-`, `--x`: too little to go on
  return candidates.find(
    (c) =>
      c.startsWith(`${name}_`) ||
      c.startsWith(`${name}-`) ||
      name.startsWith(`${c}-`) || // a unit added to a flag: --kill-grace-secs
      leven(c, name) <= 2 ||
      abbreviates(name, c),
  );
}
