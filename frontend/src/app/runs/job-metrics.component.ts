import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import type { JobRunLookup } from './job-run';
import type { ChartRun } from './metric-chart.component';
import { RunChartsComponent } from './run-charts.component';

/** The Metrics view of a job: its run (see watchJobRun), charted, live while it runs. */
@Component({
  selector: 'ty-job-metrics',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink, RunChartsComponent],
  template: `
    @if (run(); as run) {
      <!-- On the charts' toolbar line: the stacked job pane (800 px window) has no height to spare. -->
      <ty-run-charts [runs]="chartRuns()">
        <span class="head muted">
          Run <a class="mono" routerLink="/runs" [queryParams]="{ run: run.run_id }">{{ run.run_id }}</a> ·
          {{ run.status }}
        </span>
      </ty-run-charts>
    } @else if (error(); as e) {
      <p class="bad" role="alert">{{ e }}</p>
    } @else {
      <p class="muted">{{ searched() ? 'This job has no run (yet).' : 'Looking for the job’s run…' }}</p>
    }
  `,
  styles: `
    :host {
      display: block;
      padding: 6px 12px 12px;
      overflow: auto;
      flex: 1;
      min-height: 0;
    }
    .head {
      font-size: 12px;
    }
    .bad {
      color: var(--danger);
    }
  `,
})
export class JobMetricsComponent {
  /** The job's run, found by its owner (watchJobRun), which also decides whether to show the log beside it. */
  readonly lookup = input.required<JobRunLookup>();

  protected readonly run = computed(() => this.lookup().run());
  protected readonly searched = computed(() => this.lookup().searched());
  protected readonly error = computed(() => this.lookup().error());
  protected readonly chartRuns = computed<ChartRun[]>(() => {
    const run = this.run();
    return run ? [{ run_id: run.run_id, label: run.name ?? run.run_id, live: run.status === 'running' }] : [];
  });
}
