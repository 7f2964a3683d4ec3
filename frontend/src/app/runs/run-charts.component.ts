import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { metricPaths } from '@trainyard/sdk';
import { API, errorMessage } from '../core/api';
import { startPolling } from '../core/poll';
import { type ChartRun, MetricChartComponent } from './metric-chart.component';
import { chartPaths, runColor } from './run-series';

const PATHS_POLL_MS = 3000;

/**
 * Every metric path of the given runs (the union; the run's own metrics before `sys/` hardware
 * series), one chart each with the runs overlaid, and a smoothing slider and a legend shared by all
 * charts.
 */
@Component({
  selector: 'ty-run-charts',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MetricChartComponent],
  template: `
    <div class="toolbar">
      <!-- What the page puts before the slider (the job pane: which run this is), on the same line. -->
      <ng-content />
      <label class="smoothing">
        Smoothing
        <input
          type="range"
          min="0"
          max="0.99"
          step="0.01"
          aria-label="Smoothing (exponential moving average weight)"
          [value]="smoothing()"
          (input)="smoothing.set(+$any($event.target).value)"
        />
        <span class="mono">{{ smoothing().toFixed(2) }}</span>
      </label>
      @if (error(); as e) {
        <span class="bad" role="alert">{{ e }}</span>
      }
    </div>
    @if (paths().length === 0) {
      <p class="muted empty">
        {{ !loaded() ? 'Loading metrics…' : live() ? 'No metrics logged yet.' : 'No metrics logged.' }}
      </p>
    } @else {
      <!-- One legend for every chart, in the charts' colours: full names, wrapping as needed. Only
           when comparing: one run needs none, and its charts keep their room (the job pane). -->
      @if (runs().length > 1) {
        <ul class="shared-legend" aria-label="Runs">
          @for (run of runs(); track run.run_id; let i = $index) {
            <li>
              <span class="swatch" aria-hidden="true" [style.background-color]="color(i)"></span>
              <span class="label">{{ run.label }}</span>
            </li>
          }
        </ul>
      }
      <div class="grid">
        @for (chart of charts(); track chart.path) {
          <ty-metric-chart [path]="chart.path" [runs]="chart.runs" [smoothing]="smoothing()" />
        }
      </div>
    }
  `,
  styles: `
    :host {
      display: block;
    }
    .toolbar {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 4px 12px;
      padding: 4px 0 8px;
      font-size: 12px;
    }
    .smoothing {
      display: flex;
      align-items: center;
      gap: 6px;
    }
    .shared-legend {
      display: flex;
      flex-wrap: wrap;
      gap: 4px 16px;
      margin: 0 0 8px;
      padding: 0;
      list-style: none;
      font-size: 12px;
    }
    .shared-legend li {
      display: flex;
      align-items: baseline;
      gap: 6px;
      min-width: 0;
    }
    .swatch {
      flex: none;
      width: 14px;
      height: 4px;
      border-radius: 2px;
      align-self: center;
      /* The colour is the information: keep it in forced-colours mode too. */
      forced-color-adjust: none;
    }
    /* A name longer than the row wraps rather than being cut off. */
    .label {
      min-width: 0;
      overflow-wrap: anywhere;
    }
    /* Wide enough to read a curve: two charts a row on a laptop, one on a narrow screen (min() keeps
       a lone column inside the page). */
    .grid {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(min(480px, 100%), 1fr));
      gap: 10px;
    }
    .grid > * {
      min-width: 0;
    }
    .empty {
      padding: 12px 0;
    }
    .bad {
      color: var(--danger);
    }
  `,
})
export class RunChartsComponent {
  readonly runs = input.required<readonly ChartRun[]>();

  private readonly api = inject(API);
  protected readonly color = runColor;
  protected readonly smoothing = signal(0);
  protected readonly paths = signal<string[]>([]);
  /** Per run, each chart's path → the run's series on it (GPUs renumbered when compared; see chartPaths). */
  private readonly seriesByRun = signal<Map<string, string>[]>([]);
  /** A chart per path, each run with the series it draws there. */
  protected readonly charts = computed(() => {
    const byRun = this.seriesByRun();
    const runs = this.runs();
    return this.paths().map((path) => ({
      path,
      runs: runs.map((run, i) => {
        const own = byRun[i]?.get(path);
        return own === path ? run : { ...run, series: own ?? null };
      }),
    }));
  });
  protected readonly loaded = signal(false);
  protected readonly error = signal<string | null>(null);
  private readonly ids = computed(() =>
    this.runs()
      .map((r) => r.run_id)
      .join('\n'),
  );
  protected readonly live = computed(() => this.runs().some((r) => r.live));

  constructor() {
    effect(() => {
      this.ids();
      untracked(() => {
        this.loaded.set(false);
        void this.load();
      });
    });
    // New paths appear while a run writes.
    effect((onCleanup) => {
      if (!this.live()) return;
      onCleanup(startPolling(() => this.load(), PATHS_POLL_MS));
    });
  }

  private async load(): Promise<void> {
    const runs = this.runs();
    // Stale only when other runs are charted by now: the same runs come as new objects with every
    // read of the list (an answer dropped for that was never asked for again: "No metrics" for good).
    const ids = this.ids();
    try {
      const lists = await Promise.all(
        runs.map(
          async (r) => (await metricPaths({ client: this.api, path: { run_id: r.run_id } })).data.paths,
        ),
      );
      if (ids !== this.ids()) return;
      const { paths, series } = chartPaths(lists);
      const next = sortPaths(paths);
      const prev = this.paths();
      if (next.length !== prev.length || next.some((p, i) => p !== prev[i])) this.paths.set(next);
      if (!sameSeries(series, this.seriesByRun())) this.seriesByRun.set(series);
      this.error.set(null);
    } catch (err) {
      this.error.set(errorMessage(err));
    } finally {
      this.loaded.set(true);
    }
  }
}

/** Whether two runs' chart → series maps say the same (a re-read must not redraw every chart). */
function sameSeries(a: readonly Map<string, string>[], b: readonly Map<string, string>[]): boolean {
  return (
    a.length === b.length &&
    a.every((m, i) => m.size === b[i].size && [...m].every(([k, v]) => b[i].get(k) === v))
  );
}

/**
 * The run's own metrics first, then the `sys/` hardware series. Within them the main curves lead:
 * per-item series (a numbered component, as `layers/10/grad_norm`) after the rest, shallower paths
 * before deeper ones, then by name with numbers in order (`layers/2` before `layers/10`).
 */
export function sortPaths(paths: Iterable<string>): string[] {
  const sys = (p: string) => (p.startsWith('sys/') ? 1 : 0);
  const numbered = (p: string) => (/(^|\/)\d+(\/|$)/.test(p) ? 1 : 0);
  const depth = (p: string) => p.split('/').length;
  return [...paths].sort(
    (a, b) =>
      sys(a) - sys(b) ||
      numbered(a) - numbered(b) ||
      depth(a) - depth(b) ||
      a.localeCompare(b, undefined, { numeric: true }),
  );
}
