/** Plain-text rendering for the human output: aligned tables, durations, ages. */
import { escapeControls } from '@trainyard/sdk';
import stringWidth from 'string-width';

/**
 * Terminal columns `text` takes: 2 for a wide (CJK) character or an emoji, 0 for a combining mark,
 * so names in any script line up.
 */
export const displayWidth = (text: string): number => stringWidth(text);

const padEndTo = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - displayWidth(text)));
const padStartTo = (text: string, width: number) =>
  ' '.repeat(Math.max(0, width - displayWidth(text))) + text;

export type Style = (text: string) => string;
/** A cell: text, or text with a style (colour) applied after padding so columns stay aligned. */
export type Cell = string | { text: string; style?: Style };

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

const cellText = (cell: Cell): string => escapeControls(typeof cell === 'string' ? cell : cell.text);

/** Options of {@link renderTable}. */
export interface TableOptions {
  /**
   * Cut the last column's text (with `…`) so each line fits this many characters, leaving it at
   * least {@link MIN_LAST_COLUMN}; unset: never cut (output to a file or a pipe wants it whole).
   */
  width?: number;
}

/** The fewest characters of the last column that `width` leaves, however wide the others are. */
export const MIN_LAST_COLUMN = 30;

/**
 * Columns separated by two spaces, headers first; the last column is not padded, and cut to fit
 * `options.width` when given; cells escaped.
 */
export function renderTable(columns: Column[], rows: Cell[][], options: TableOptions = {}): string {
  const texts = rows.map((row) => columns.map((_, i) => cellText(row[i] ?? '')));
  const last = columns.length - 1;
  const widthOf = (i: number) =>
    Math.max(displayWidth(columns[i].header), ...texts.map((row) => displayWidth(row[i])));
  if (options.width !== undefined && last >= 0) {
    // Escaped first, then cut: an escape sequence counts as the characters it shows.
    const before = columns.slice(0, last).reduce((sum, _, i) => sum + widthOf(i) + 2, 0);
    const room = Math.max(MIN_LAST_COLUMN, options.width - before);
    for (const row of texts) row[last] = truncate(row[last], room);
  }
  const widths = columns.map((_, i) => widthOf(i));
  const line = (cells: Cell[], shown: string[]): string =>
    shown
      .map((text, i) => {
        const padded =
          columns[i]?.align === 'right'
            ? padStartTo(text, widths[i])
            : i === last
              ? text
              : padEndTo(text, widths[i]);
        const cell = cells[i] ?? '';
        return typeof cell === 'string' || !cell.style ? padded : cell.style(padded);
      })
      .join('  ')
      .trimEnd();
  const headers = columns.map((c) => c.header);
  return [line(headers, headers), ...rows.map((row, r) => line(row, texts[r]))].join('\n') + '\n';
}

/**
 * `key  value` lines with the keys aligned; keys and values escaped like table cells (a key may be
 * the server's too: a run's config path).
 */
export function renderPairs(pairs: Array<[string, string]>): string {
  const shown = pairs.map(([key, value]) => [escapeControls(key), escapeControls(value)]);
  const width = Math.max(0, ...shown.map(([key]) => displayWidth(key)));
  return shown.map(([key, value]) => `${padEndTo(key, width)}  ${value}`.trimEnd()).join('\n') + '\n';
}

/** 42s, 3m05s, 2h07m, 3d04h. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}

/** How long ago an ISO timestamp was, e.g. `3m05s`; `-` without one. */
export function formatAge(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const at = Date.parse(iso);
  return Number.isNaN(at) ? '-' : formatDuration(Math.max(0, (now - at) / 1000));
}

/**
 * Cuts text wider than `max` terminal columns to fit them, ellipsis included; whole characters only
 * (never half an emoji or a letter without its accent).
 */
export function truncate(text: string, max: number): string {
  if (displayWidth(text) <= max) return text;
  let kept = '';
  let used = 0;
  for (const { segment } of new Intl.Segmenter().segment(text)) {
    const width = displayWidth(segment);
    if (used + width > max - 1) break;
    kept += segment;
    used += width;
  }
  return `${kept}…`;
}

/**
 * `value` as one word a POSIX shell reads back as it is: bare when it is plain, else single-quoted
 * (`''` when empty), so `A='x B=y' C=''` reads as the two variables it is.
 */
export function shellWord(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Whether the CLI colours its output: `FORCE_COLOR` when set and not empty (`0` or `false`: never,
 * anything else: always, piped too — as chalk and Node do), else on a terminal unless `NO_COLOR` is set
 * and not empty (no-color.org).
 */
export function colorsWanted(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  return isTTY && !env.NO_COLOR;
}

/** ANSI colours, only when `enabled` (see colorsWanted). */
export function palette(enabled: boolean): Record<'red' | 'green' | 'yellow' | 'cyan' | 'dim', Style> {
  const wrap =
    (open: number, close: number): Style =>
    (text) =>
      enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    dim: wrap(2, 22),
  };
}
