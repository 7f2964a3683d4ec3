import type { MetricSeriesDto, SeriesPointDto } from '@trainyard/sdk';
import { formatNumber, plural } from '../core/format';

/** One run's series on a chart. */
export interface RunSeries {
  /** The run's id: keys its chart series (labels may repeat). */
  id: string;
  /** Legend and tooltip label (see {@link chartLabels}). */
  label: string;
  series: MetricSeriesDto;
}

/**
 * The labels of runs shown together: each run's name (its id without one), with its id added
 * where another of them has the same name — every run of a project config is named
 * `<project>/<config>`, so compared runs of one config would be told apart by colour alone.
 */
export function chartLabels(runs: readonly { run_id: string; name?: string | null }[]): string[] {
  const names = runs.map((r) => r.name ?? r.run_id);
  return runs.map((r, i) =>
    names.some((name, j) => j !== i && name === names[i]) ? `${names[i]} · ${r.run_id}` : names[i],
  );
}

/** A step range, inclusive; null ends are open. */
export interface StepRange {
  min: number;
  max: number;
}

/**
 * What a point holds that a line cannot show, in words — `NaN`, `+Infinity`, `-Infinity`, or a
 * bucket's `3 NaN/±Infinity` — else null: drawn as a marker, named in the tooltip (a diverged run
 * must not look like a gap).
 */
export function nonFiniteLabel(point: Pick<SeriesPointDto, 'y' | 'nonfinite'>): string | null {
  if (point.nonfinite) return `${point.nonfinite} NaN/±Infinity`;
  const y = point.y;
  if (y === 'NaN' || (typeof y === 'number' && Number.isNaN(y))) return 'NaN';
  if (y === 'Infinity' || y === Infinity) return '+Infinity';
  if (y === '-Infinity' || y === -Infinity) return '-Infinity';
  return null;
}

/**
 * A point's y (or a bucket's min_y/max_y) as a plottable number: NaN and ±Infinity (a raw point's, or a
 * bucket's without finite values) → null.
 */
export function plotY(y: SeriesPointDto['y'] | null | undefined): number | null {
  return typeof y === 'number' && Number.isFinite(y) ? y : null;
}

/**
 * Exponential moving average with TensorBoard's debiasing: `weight` 0 leaves the values alone,
 * 0.99 smooths hardest. Gaps (null) stay gaps and do not reset the average.
 */
export function smooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return [...values];
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null) return null;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}

/** The smallest and largest step over every run's points (null when there are none). */
export function stepExtent(runs: readonly RunSeries[]): StepRange | null {
  let min = Infinity;
  let max = -Infinity;
  for (const r of runs) {
    const pts = r.series.points;
    if (!pts.length) continue;
    min = Math.min(min, pts[0].step);
    max = Math.max(max, pts[pts.length - 1].step);
  }
  return min <= max ? { min, max } : null;
}

/**
 * The step range a data-zoom window (percent of `extent`) shows, or null for the whole extent (no
 * `step_min`/`step_max` then). Steps are widened to whole numbers so the range never misses an end point.
 */
export function zoomRange(extent: StepRange, startPct: number, endPct: number): StepRange | null {
  if (startPct <= 0 && endPct >= 100) return null;
  const span = extent.max - extent.min;
  return {
    min: Math.floor(extent.min + (span * Math.max(0, startPct)) / 100),
    max: Math.ceil(extent.min + (span * Math.min(100, endPct)) / 100),
  };
}

/** The `/metrics` query for a chart: its point budget and, when zoomed, the step range. */
export function metricsQuery(
  path: string,
  pointCount: number,
  range: StepRange | null,
): { path: string; point_count: number; step_min?: number; step_max?: number } {
  return range
    ? { path, point_count: pointCount, step_min: range.min, step_max: range.max }
    : { path, point_count: pointCount };
}

/** Palette for runs (readable on both themes). */
export const RUN_COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

/** A run's colour by its place in the runs list: the charts' lines and the shared legend agree. */
export function runColor(index: number): string {
  return RUN_COLORS[index % RUN_COLORS.length];
}

/** A marker's data item: where it is drawn, what it stands for (`name`), its shape. */
interface MarkerItem {
  value: [number, number];
  name: string;
  symbol: 'diamond' | 'triangle';
  symbolRotate: number;
}

interface LineSeriesOption {
  id: string;
  name: string;
  type: 'line';
  data: ([number, number | null] | MarkerItem)[];
  showSymbol: boolean;
  symbolSize?: number;
  connectNulls?: boolean;
  sampling?: 'lttb';
  stack?: string;
  stackStrategy?: 'all';
  silent?: boolean;
  color: string;
  lineStyle: { width: number; opacity?: number };
  areaStyle?: { opacity: number; color: string };
  emphasis?: { disabled: boolean };
  z?: number;
}

/**
 * The ECharts series of a chart: per run one line (smoothed by `weight`; the raw line faint behind
 * it when smoothing), and for downsampled series a min/max band — a transparent `min` line with
 * `max - min` stacked on it and filled. Band and raw series carry the run's label too; series ids are
 * `line:`/`band:`/`raw:` + the run's id (labels may repeat; the tooltip leaves bands and raw lines out). Colours: {@link runColor}.
 *
 * What a line would hide is drawn on top: a point between two gaps as a dot (`dot:`), and NaN /
 * ±Infinity as markers (`mark:`) at the top (NaN ◆, +Infinity ▲) or bottom (-Infinity ▼) of the
 * run's finite values, each named for the tooltip by {@link nonFiniteLabel}.
 */
export function buildSeries(runs: readonly RunSeries[], weight: number): LineSeriesOption[] {
  const out: LineSeriesOption[] = [];
  runs.forEach((run, i) => {
    const color = runColor(i);
    const pts = run.series.points;
    const steps = pts.map((p) => p.step);
    const ys = pts.map((p) => plotY(p.y));
    const single = pts.length === 1;
    if (run.series.downsampled) {
      const lo = pts.map((p) => plotY(p.min_y));
      // `stackStrategy: 'all'`: ECharts stacks only same-sign values by default, which would start
      // the band at 0 wherever min is below zero and max - min above it.
      out.push({
        id: `band:lo:${run.id}`,
        name: run.label,
        type: 'line',
        data: steps.map((s, k) => [s, lo[k] ?? ys[k]]),
        showSymbol: false,
        stack: `band:${run.id}`,
        stackStrategy: 'all',
        silent: true,
        color,
        lineStyle: { width: 0, opacity: 0 },
        emphasis: { disabled: true },
        z: 1,
      });
      out.push({
        id: `band:hi:${run.id}`,
        name: run.label,
        type: 'line',
        data: steps.map((s, k) => {
          const low = lo[k] ?? ys[k];
          const high = plotY(pts[k].max_y);
          return [s, high !== null && low !== null ? high - low : 0];
        }),
        showSymbol: false,
        stack: `band:${run.id}`,
        stackStrategy: 'all',
        silent: true,
        color,
        lineStyle: { width: 0, opacity: 0 },
        areaStyle: { opacity: 0.2, color },
        emphasis: { disabled: true },
        z: 1,
      });
    }
    if (weight > 0) {
      out.push({
        id: `raw:${run.id}`,
        name: run.label,
        type: 'line',
        data: steps.map((s, k) => [s, ys[k]]),
        showSymbol: single,
        silent: true,
        color,
        lineStyle: { width: 1, opacity: 0.25 },
        emphasis: { disabled: true },
        z: 2,
      });
    }
    const shown = smooth(ys, weight);
    out.push({
      id: `line:${run.id}`,
      name: run.label,
      type: 'line',
      data: steps.map((s, k) => [s, shown[k]]),
      showSymbol: single,
      symbolSize: 4,
      color,
      lineStyle: { width: 1.6 },
      z: 3,
    });
    const isolated = (k: number) =>
      shown[k] !== null &&
      (k === 0 || shown[k - 1] === null) &&
      (k === shown.length - 1 || shown[k + 1] === null);
    if (!single && shown.some((_, k) => isolated(k)))
      out.push({
        ...markerSeries(`dot:${run.id}`, run.label, color),
        data: steps.map((s, k) => [s, isolated(k) ? shown[k] : null]),
        symbolSize: 4,
      });
    const labels = pts.map(nonFiniteLabel);
    if (labels.some((l) => l !== null)) {
      let [low, high] = [Infinity, -Infinity];
      for (const y of ys) if (y !== null) [low, high] = [Math.min(low, y), Math.max(high, y)];
      if (low > high) [low, high] = [0, 0]; // nothing finite: markers on 0
      out.push({
        ...markerSeries(`mark:${run.id}`, run.label, color),
        data: steps.map((s, k): [number, null] | MarkerItem => {
          const name = labels[k];
          if (name === null) return [s, null];
          const down = name === '-Infinity';
          return {
            value: [s, down ? low : high],
            name,
            symbol: name.endsWith('Infinity') && !name.includes('/') ? 'triangle' : 'diamond',
            symbolRotate: down ? 180 : 0,
          };
        }),
      });
    }
  });
  return out;
}

/** A series of symbols only (no line): dots and markers drawn over a run's line. */
function markerSeries(id: string, name: string, color: string): LineSeriesOption {
  return {
    id,
    name,
    type: 'line',
    data: [],
    showSymbol: true,
    symbolSize: 8,
    color,
    lineStyle: { width: 0 },
    emphasis: { disabled: true },
    z: 4,
  };
}

/**
 * A run's line in words, for screen readers (the canvas says nothing): `loss: 3 points, last 0.25
 * at step 2`; `1 point`, not `1 points`; the value as the axis shows it.
 */
export function seriesSummary(
  label: string,
  points: readonly Pick<SeriesPointDto, 'y' | 'step' | 'nonfinite'>[],
): string {
  const last = points.at(-1);
  const y = last && (nonFiniteLabel(last) ?? (typeof last.y === 'number' ? formatNumber(last.y) : '—'));
  return `${label}: ${plural(points.length, 'point')}, last ${last ? `${y} at step ${last.step}` : '—'}`;
}

/** How many points the chart's main lines hold (what a test or a bench reads back). */
export function pointCount(runs: readonly RunSeries[]): number {
  return runs.reduce((n, r) => n + r.series.points.length, 0);
}

/**
 * The axis tooltip: the step, then each run's shown value (bands, raw lines and dots left out), and
 * what its marker stands for where it has one (`NaN`, `+Infinity`, a bucket's `3 NaN/±Infinity`).
 */
export function chartTooltip(params: unknown): string {
  const items = (Array.isArray(params) ? params : [params]) as {
    seriesId?: string;
    seriesName?: string;
    marker?: string;
    name?: string;
    value?: [number, number | null];
  }[];
  const lines = items.filter((p) => p.seriesId?.startsWith('line:'));
  if (!lines.length) return '';
  const marks = new Map(
    items
      .filter((p) => p.seriesId?.startsWith('mark:') && p.value?.[1] != null && p.name)
      .map((p) => [p.seriesId!.slice('mark:'.length), p.name!]),
  );
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const fmt = (v: number | null | undefined) => (v == null ? '—' : formatNumber(v));
  // A whole step exactly (6 digits made step 1,234,567 read 1234570); a bucket's mean step rounded.
  const stepText = (v: number | null | undefined) => (v != null && Number.isInteger(v) ? String(v) : fmt(v));
  const shown = (p: (typeof lines)[number]) => {
    const mark = marks.get(p.seriesId!.slice('line:'.length));
    if (!mark) return fmt(p.value?.[1]);
    return p.value?.[1] == null ? esc(mark) : `${fmt(p.value[1])} (${esc(mark)})`;
  };
  return [
    `step ${stepText(lines[0].value?.[0])}`,
    ...lines.map((p) => `${p.marker ?? ''}${esc(p.seriesName ?? '')}: ${shown(p)}`),
  ].join('<br>');
}

/** A hardware series' path: `sys/gpu<host index>/<name>`. */
const GPU_SERIES = /^sys\/gpu(\d+)\//;

/**
 * The charts for runs drawn together, and per run which of its series each chart shows. A run's
 * hardware series are named by the host's GPU index (`sys/gpu3/…`), so runs compared that ran on
 * different GPUs would never share a chart: then each run's GPUs are numbered in order instead, as
 * the job itself sees them (`sys/gpu#0/…` is its `cuda:0`). Runs on the same GPUs, and a single run,
 * keep the host's numbers. `lists`: each run's metric paths, in the runs' order.
 */
export function chartPaths(lists: readonly (readonly string[])[]): {
  paths: string[];
  /** Per run: the chart's path → the run's own series drawn on it (absent: none). */
  series: Map<string, string>[];
} {
  const gpusOf = (paths: readonly string[]) =>
    [...new Set(paths.flatMap((p) => GPU_SERIES.exec(p)?.[1] ?? []))].map(Number).sort((a, b) => a - b);
  const gpuSets = lists.map((paths) => gpusOf(paths).join(','));
  const renumber = lists.length > 1 && new Set(gpuSets).size > 1;
  const series = lists.map((paths) => {
    const ordinal = new Map(gpusOf(paths).map((gpu, k) => [gpu, k]));
    const own = new Map<string, string>();
    for (const path of paths) {
      const gpu = GPU_SERIES.exec(path)?.[1];
      const shown =
        renumber && gpu !== undefined
          ? path.replace(GPU_SERIES, `sys/gpu#${ordinal.get(Number(gpu))}/`)
          : path;
      own.set(shown, path);
    }
    return own;
  });
  return { paths: [...new Set(series.flatMap((own) => [...own.keys()]))], series };
}
