/**
 * One point of a metric series answer. `y` may be NaN or ±Infinity: a raw point's own value, or a
 * bucket's without a finite value (see {@link downsample}).
 */
export interface SeriesPoint {
  step: number;
  y: number;
  /** Only on buckets (downsampled answers): smallest and largest finite y of the bucket. */
  min_y?: number;
  max_y?: number;
  /** Only on buckets, when any: how many of its values were NaN or ±Infinity (a mean leaves them out). */
  nonfinite?: number;
}

export interface DownsampledSeries {
  downsampled: boolean;
  points: SeriesPoint[];
}

/**
 * goodseed's downsampling of a series sorted by step (`steps[i]`, `ys[i]`; NaN/±Infinity allowed in
 * `ys`). Up to `pointCount` points come back raw. Otherwise the bucket size k is the smallest power
 * of two with ceil(N / k) ≤ pointCount; each run of k consecutive points becomes one point at the
 * mean step with the mean, min and max of its finite y values and the count of the others
 * (`nonfinite`, when any: a diverged run shows) — a bucket with no finite value has the mean, min and
 * max of its NaN/±Infinity values as IEEE arithmetic has them (all +Infinity → +Infinity; any NaN, or
 * both infinities, → a NaN mean), never a missing value — and the
 * series' first and last raw points are kept as bookends so the line reaches both ends. A bucket
 * that collapses onto a bookend's step (a last bucket of one point) is left out for the bookend.
 *
 * Example: steps 0..99 (y = step), pointCount 10 → k = 16: 0, 7.5, 23.5, …, 87.5, 97.5, 99.
 */
export function downsample(
  steps: ArrayLike<number>,
  ys: ArrayLike<number>,
  pointCount: number,
): DownsampledSeries {
  const n = steps.length;
  if (!Number.isInteger(pointCount) || pointCount < 1)
    throw new RangeError('pointCount must be a positive integer');
  if (n <= pointCount) {
    const points: SeriesPoint[] = new Array<SeriesPoint>(n);
    for (let i = 0; i < n; i++) points[i] = { step: steps[i], y: ys[i] };
    return { downsampled: false, points };
  }
  let k = 1;
  while (Math.ceil(n / k) > pointCount) k *= 2;
  const first = steps[0];
  const last = steps[n - 1];
  const points: SeriesPoint[] = [{ step: first, y: ys[0] }];
  for (let start = 0; start < n; start += k) {
    const end = Math.min(n, start + k);
    let stepSum = 0;
    let ySum = 0;
    let finite = 0;
    let nonfinite = 0;
    let min = Infinity;
    let max = -Infinity;
    // Over the NaN/±Infinity values: what the bucket is when it has no finite value.
    let otherSum = 0;
    let otherMin = Infinity;
    let otherMax = -Infinity;
    for (let i = start; i < end; i++) {
      stepSum += steps[i];
      const y = ys[i];
      if (Number.isFinite(y)) {
        ySum += y;
        finite += 1;
        if (y < min) min = y;
        if (y > max) max = y;
      } else {
        nonfinite += 1;
        otherSum += y;
        otherMin = Math.min(otherMin, y);
        otherMax = Math.max(otherMax, y);
      }
    }
    const step = stepSum / (end - start);
    if (step === first || step === last) continue;
    const bucket: SeriesPoint =
      finite > 0
        ? { step, y: ySum / finite, min_y: min, max_y: max }
        : { step, y: otherSum / nonfinite, min_y: otherMin, max_y: otherMax };
    if (nonfinite > 0) bucket.nonfinite = nonfinite;
    points.push(bucket);
  }
  points.push({ step: last, y: ys[n - 1] });
  return { downsampled: true, points };
}
