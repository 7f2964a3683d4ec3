import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { type MetricSeriesDto, metricSeries } from '@trainyard/sdk';
import type { ECharts } from 'echarts/core';
import { NgxEchartsDirective, provideEchartsCore } from 'ngx-echarts';
import { API, errorMessage } from '../core/api';
import { formatNumber } from '../core/format';
import { startPolling } from '../core/poll';
import { type Theme, ThemeStore } from '../core/theme.store';
import { echarts } from './echarts-core';
import {
  type RunSeries,
  type StepRange,
  buildSeries,
  chartTooltip,
  metricsQuery,
  pointCount,
  seriesSummary,
  stepExtent,
  zoomRange,
} from './run-series';

/** A run on a chart: its id, its label (legend and tooltip), and whether it is still writing. */
export interface ChartRun {
  run_id: string;
  label: string;
  live: boolean;
  /** Its series drawn on this chart, when not the chart's path (GPUs renumbered to compare); null: none. */
  series?: string | null;
}

/** Points asked for per run: about one per horizontal pixel of a wide chart. */
const POINT_COUNT = 1000;
const LIVE_POLL_MS = 2000;
const ZOOM_DEBOUNCE_MS = 250;
/** The y axis' tick labels: at most 6 significant digits. */
const Y_LABEL = (value: number) => formatNumber(value);

/**
 * One metric path of one or more runs, overlaid in their `runColor`s. The chart draws no legend of
 * its own: RunChartsComponent shows one for all its charts (a legend per chart squeezed long run
 * names into a paging strip). Zooming (wheel, drag, or the slider) re-reads the server at the new
 * step range, so detail appears as you zoom in; downsampled series show their min/max band. While a
 * run is live the chart re-reads every 2 s.
 */
@Component({
  selector: 'ty-metric-chart',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [NgxEchartsDirective],
  providers: [provideEchartsCore({ echarts })],
  template: `
    <figure class="card" [attr.aria-label]="path() + ' chart'">
      <figcaption>
        <span class="mono path">{{ path() }}</span>
        <span class="spacer"></span>
        @if (range(); as r) {
          <span class="muted range">steps {{ r.min }}–{{ r.max }}</span>
          <button type="button" class="btn btn-ghost btn-sm" (click)="resetZoom()">Reset zoom</button>
        }
        <button
          type="button"
          class="btn btn-ghost btn-sm"
          title="Zoom in on the middle half (or use the wheel, or drag the slider)"
          [attr.aria-label]="'Zoom in on ' + path()"
          (click)="zoomIn()"
        >
          +
        </button>
        @if (error(); as e) {
          <span class="bad" role="alert">{{ e }}</span>
        }
      </figcaption>
      <div
        class="chart"
        echarts
        [options]="initialOptions"
        [autoResize]="true"
        [attr.data-points]="points()"
        [attr.data-series]="seriesCount()"
        (chartInit)="onInit($event)"
        (chartDataZoom)="onZoom()"
      ></div>
      <!-- The canvas says nothing to a screen reader: the same runs in words. -->
      <ul class="sr-only legend">
        @for (line of summary(); track $index) {
          <li>{{ line }}</li>
        }
      </ul>
    </figure>
  `,
  styles: `
    /* Positioned: its screen-reader legend (absolute) stays inside it, not under the page. */
    .card {
      position: relative;
      margin: 0;
      border: 1px solid var(--border);
      border-radius: 6px;
      padding: 6px 8px 2px;
      background: var(--surface);
      min-width: 0;
    }
    figcaption {
      display: flex;
      align-items: center;
      gap: 8px;
      font-size: 12px;
      min-height: 24px;
    }
    .path {
      font-weight: 600;
    }
    .spacer {
      flex: 1;
    }
    .bad {
      color: var(--danger);
    }
    .chart {
      height: 220px;
      width: 100%;
    }
  `,
})
export class MetricChartComponent {
  readonly path = input.required<string>();
  readonly runs = input.required<readonly ChartRun[]>();
  /** EMA weight, 0 (raw) … 0.99. */
  readonly smoothing = input(0);

  private readonly api = inject(API);
  private readonly themes = inject(ThemeStore);
  /**
   * The chart, once ngx-echarts has made it. A signal so that the render effect draws on it: that
   * effect runs after ngx-echarts has applied `initialOptions` (right after `chartInit`), whereas
   * drawing inside `chartInit` set series and an x axis on a chart with no grid or y axis yet,
   * which made ECharts throw ("reading 'axisBuilder'") and was wiped by those options anyway.
   */
  private readonly chart = signal<ECharts | null>(null);
  private readonly data = signal<readonly RunSeries[]>([]);
  /** The whole series' step range: the x axis (frozen while zoomed so the window stays put). */
  private readonly extent = signal<StepRange | null>(null);
  /** The zoomed step range, or null for everything. */
  protected readonly range = signal<StepRange | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly points = computed(() => pointCount(this.data()));
  protected readonly seriesCount = computed(() => this.data().length);
  protected readonly summary = computed(() =>
    this.data().map((d) => seriesSummary(d.label, d.series.points)),
  );
  private readonly live = computed(() => this.runs().some((r) => r.live));
  private readonly key = computed(
    () =>
      `${this.path()}\n${this.runs()
        .map((r) => `${r.run_id}:${r.label}:${r.series}`)
        .join('\n')}`,
  );
  private generation = 0;
  private zoomTimer: ReturnType<typeof setTimeout> | undefined;

  protected readonly initialOptions = {
    animation: false,
    // No legend on top (see above): just room for the top y label.
    grid: { left: 48, right: 16, top: 12, bottom: 44 },
    // Steps are whole numbers: no 0.5 ticks when only a few are shown.
    // hideOverlap: the last step's label drew over a round tick's beside it ("1,5001,619").
    xAxis: {
      type: 'value',
      name: 'step',
      nameLocation: 'end',
      nameGap: 4,
      scale: true,
      minInterval: 1,
      axisLabel: { hideOverlap: true },
    },
    // Limited significant digits: a series near 1e308 labelled a tick 1.3999999999999999e+308.
    yAxis: { type: 'value', scale: true, axisLabel: { formatter: Y_LABEL } },
    tooltip: {
      trigger: 'axis',
      formatter: (params: unknown) => chartTooltip(params),
    },
    dataZoom: [
      { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
      { type: 'slider', xAxisIndex: 0, filterMode: 'none', height: 14, bottom: 6 },
    ],
    series: [],
  };

  constructor() {
    // A new path or set of runs starts over at the full range.
    effect(() => {
      this.key();
      untracked(() => {
        this.range.set(null);
        this.extent.set(null);
        void this.load();
      });
    });
    // While a run writes, re-read every 2 s (at the zoomed range, if any); once more when it ends,
    // for the points it wrote after the last read.
    let wasLive = false;
    effect((onCleanup) => {
      const live = this.live();
      if (!live) {
        if (wasLive) untracked(() => void this.load());
        wasLive = false;
        return;
      }
      wasLive = true;
      let first = true;
      const stop = startPolling(async () => {
        if (first) return void (first = false); // just loaded
        await this.load();
      }, LIVE_POLL_MS);
      onCleanup(stop);
    });
    effect(() => this.render(this.chart(), this.data(), this.extent(), this.smoothing()));
    effect(() => this.chart()?.setOption(this.themeOptions(this.themes.theme())));
    inject(DestroyRef).onDestroy(() => clearTimeout(this.zoomTimer));
  }

  protected onInit(chart: ECharts): void {
    this.chart.set(chart);
  }

  protected onZoom(): void {
    clearTimeout(this.zoomTimer);
    this.zoomTimer = setTimeout(() => {
      const extent = this.extent();
      const zoom = this.zoomWindow();
      if (!extent || !zoom) return;
      this.range.set(zoomRange(extent, zoom.start, zoom.end));
      void this.load();
    }, ZOOM_DEBOUNCE_MS);
  }

  /** The keyboard's way to zoom: the middle half of the current window. */
  protected zoomIn(): void {
    const zoom = this.zoomWindow();
    if (!zoom) return;
    const quarter = (zoom.end - zoom.start) / 4;
    this.chart()?.dispatchAction({ type: 'dataZoom', start: zoom.start + quarter, end: zoom.end - quarter });
  }

  private zoomWindow(): { start: number; end: number } | null {
    const zoom = (this.chart()?.getOption() as { dataZoom?: { start?: number; end?: number }[] } | undefined)
      ?.dataZoom?.[0];
    return zoom ? { start: zoom.start ?? 0, end: zoom.end ?? 100 } : null;
  }

  protected resetZoom(): void {
    // The data-zoom event that follows re-reads the whole range.
    this.chart()?.dispatchAction({ type: 'dataZoom', start: 0, end: 100 });
  }

  /** Reads every run's series at the current range; a newer read wins over an older one. */
  private async load(): Promise<void> {
    const generation = ++this.generation;
    const path = this.path();
    const range = this.range();
    try {
      const series: MetricSeriesDto[] = await Promise.all(
        this.runs().map(async (run) =>
          run.series === null
            ? { path, downsampled: false, points: [] }
            : (
                await metricSeries({
                  client: this.api,
                  path: { run_id: run.run_id },
                  query: metricsQuery(run.series ?? path, POINT_COUNT, range),
                })
              ).data,
        ),
      );
      if (generation !== this.generation) return;
      const data = this.runs().map((run, i) => ({ id: run.run_id, label: run.label, series: series[i] }));
      this.error.set(null);
      this.data.set(data);
      if (!range) this.extent.set(stepExtent(data));
    } catch (err) {
      if (generation === this.generation) this.error.set(errorMessage(err));
    }
  }

  /**
   * Axes, grid lines, slider and tooltip in the console's colours: ECharts' own are for a white
   * page (near-white grid lines and slider on the dark theme).
   */
  private themeOptions(theme: Theme) {
    const c = this.themes.colors(theme, {
      text: '--text',
      muted: '--text-muted',
      border: '--border',
      surface: '--surface',
      raised: '--surface-raised',
    });
    const axis = {
      axisLine: { lineStyle: { color: c.muted } },
      axisTick: { lineStyle: { color: c.muted } },
      axisLabel: { color: c.muted, hideOverlap: true },
      splitLine: { lineStyle: { color: c.border } },
      nameTextStyle: { color: c.muted },
    };
    return {
      xAxis: axis,
      yAxis: { ...axis, axisLabel: { ...axis.axisLabel, formatter: Y_LABEL } },
      tooltip: { backgroundColor: c.surface, borderColor: c.border, textStyle: { color: c.text } },
      dataZoom: [
        {},
        {
          borderColor: c.border,
          textStyle: { color: c.muted },
          dataBackground: { lineStyle: { color: c.muted }, areaStyle: { color: c.raised } },
          handleStyle: { color: c.raised, borderColor: c.muted },
          moveHandleStyle: { color: c.border },
        },
      ],
    };
  }

  private render(
    chart: ECharts | null,
    data: readonly RunSeries[],
    extent: StepRange | null,
    weight: number,
  ): void {
    if (!chart) return;
    chart.setOption(
      {
        xAxis: { min: extent?.min ?? null, max: extent?.max ?? null },
        series: buildSeries(data, weight),
      },
      { replaceMerge: ['series'], lazyUpdate: false },
    );
  }
}
