// Hand-written: how people type a job's time limit (CLI `--time-limit`, the console's New job dialog).

const UNIT_SECONDS = { d: 86_400, h: 3_600, m: 60, s: 1 } as const;

/**
 * The longest age a cleanup takes (`--older-than`), seconds: 100 years. Every job is younger, and
 * "now minus" much more is no date an ISO 8601 timestamp can say (`-000711-01-08…`, or none at all).
 */
export const MAX_CLEANUP_AGE_S = 36_500 * UNIT_SECONDS.d;

/**
 * A duration in whole seconds, as `time_limit_s` takes it: `90` (seconds), `90s`, `30m`, `2h`, `1d`,
 * or units combined largest first (`1h30m`), or a clock as Slurm's `--time` writes one, `H:MM:SS` or
 * `D-H:MM:SS` (`1:30:00`, `2-00:00:00`); case and surrounding blanks ignored; `none` → null (no
 * limit). Undefined when the text is none of these (also `1.5h`, `30m1h`, `30:00` — Slurm reads
 * that as minutes, `90` as seconds here — and the empty string), or zero (`0`, `0s`) unless
 * `allowZero` (a grace period may be none).
 */
export function parseDuration(text: string, { allowZero = false } = {}): number | null | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'none') return null;
  const units = /^(?:(\d+)|(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?)$/.exec(t);
  const clock = /^(?:(\d+)-)?(\d+):([0-5]\d):([0-5]\d)$/.exec(t);
  if ((!units && !clock) || t === '') return undefined;
  const [, plain, d, h, m, s] = units ?? [undefined, undefined, ...clock!.slice(1)];
  const seconds =
    plain !== undefined
      ? Number(plain)
      : Number(d ?? 0) * UNIT_SECONDS.d +
        Number(h ?? 0) * UNIT_SECONDS.h +
        Number(m ?? 0) * UNIT_SECONDS.m +
        Number(s ?? 0);
  return seconds >= (allowZero ? 0 : 1) && Number.isSafeInteger(seconds) ? seconds : undefined;
}

/**
 * Why `text` is refused when it is a short clock, `1:30` or `30:00`, that parseDuration does not
 * guess at: Slurm reads `M:SS` (1 min 30 s), most people `H:MM` (1 h 30 min). Undefined for any
 * other text. Shows both readings in forms that are not ambiguous.
 */
export function ambiguousClock(text: string): string | undefined {
  const clock = /^(\d+):([0-5]\d)$/.exec(text.trim());
  if (!clock) return undefined;
  const [a, b] = [Number(clock[1]), Number(clock[2])];
  const asMinutes = formatDuration(a * UNIT_SECONDS.m + b);
  const asHours = formatDuration(a * UNIT_SECONDS.h + b * UNIT_SECONDS.m);
  return `"${text.trim()}" could be minutes:seconds (${asMinutes}, as Slurm reads it) or hours:minutes (${asHours}): write ${asMinutes} or ${asHours}`;
}

/** Seconds as the shortest text parseDuration reads back: 5400 → `1h30m`, 90 → `1m30s`, 7200 → `2h`. */
export function formatDuration(seconds: number): string {
  let rest = seconds;
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out || '0s';
}
