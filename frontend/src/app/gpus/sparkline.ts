/**
 * SVG `points` for a sparkline in a 100 × 24 viewBox: x spans the first to the last time, y maps
 * 0..`max` bottom to top (values clamped). A null value breaks nothing: it is left out, so the line
 * joins its neighbours. Empty when fewer than two values are present.
 */
export function sparklinePoints(
  t: readonly number[],
  values: ReadonlyArray<number | null>,
  max: number,
): string {
  const first = t[0];
  const span = t[t.length - 1] - first || 1;
  const points: string[] = [];
  for (let i = 0; i < t.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    const x = ((t[i] - first) / span) * 100;
    const y = 24 - (Math.min(Math.max(v, 0), max) / max) * 22 - 1;
    points.push(`${round(x)},${round(y)}`);
  }
  return points.length < 2 ? '' : points.join(' ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
