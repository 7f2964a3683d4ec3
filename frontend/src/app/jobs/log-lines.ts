/**
 * Line arithmetic of the log pane, in the server's line numbers (1-based), so what the banner says
 * does not depend on the terminal's size, wrapping or timing.
 */

/**
 * Lines a fresh view loads from the end of the log: well under the terminal's 50,000-row scrollback
 * even when lines wrap, so the terminal drops none and "Lines 1–N not shown" is the server's N.
 */
export const TAIL_LINES = 25_000;

/**
 * The first line a fresh view loads, given `endLine`: the server's number for the line after the
 * last (what `GET /log?offset=<past the end>&lines=0` answers in X-Trainyard-Log-Line).
 */
export function tailFirstLine(endLine: number, keep = TAIL_LINES): number {
  if (!Number.isInteger(endLine) || endLine <= keep) return 1;
  return endLine - keep;
}

/**
 * How many lines before the terminal's content are not shown: the lines before `firstLine` (where
 * the view started, per the server) plus any the terminal itself dropped off its top since.
 */
export function linesNotShown(firstLine: number, dropped: number): number {
  return Math.max(0, firstLine - 1) + Math.max(0, dropped);
}
