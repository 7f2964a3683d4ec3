import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { type RunDto, listRuns } from '@trainyard/sdk';
import { API, errorMessage } from '../core/api';
import { startPolling } from '../core/poll';
import type { ChartRun } from './metric-chart.component';
import { RunChartsComponent } from './run-charts.component';

const POLL_MS = 3000;

/**
 * The Metrics tab of a job: its run (`GET /api/runs?job=`), charted, live while it runs. Re-reads
 * the run every 3 s until it is found and while it is `running`; stops once it has finished.
 */
@Component({
  selector: 'ty-job-metrics',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink, RunChartsComponent],
  template: `
    @if (run(); as run) {
      <p class="head muted">
        Run <a class="mono" routerLink="/runs" [queryParams]="{ run: run.run_id }">{{ run.run_id }}</a> ·
        {{ run.status }}
      </p>
      <ty-run-charts [runs]="chartRuns()" />
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
      margin: 0 0 4px;
      font-size: 12px;
    }
    .bad {
      color: var(--danger);
    }
  `,
})
export class JobMetricsComponent {
  /** The job's queue_id. */
  readonly jobId = input.required<string>();
  /** Whether the job may still write (queued, starting or running): keep looking for its run. */
  readonly active = input(false);

  private readonly api = inject(API);
  protected readonly run = signal<RunDto | null>(null);
  protected readonly searched = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly chartRuns = computed<ChartRun[]>(() => {
    const run = this.run();
    return run ? [{ run_id: run.run_id, label: run.name ?? run.run_id, live: run.status === 'running' }] : [];
  });

  constructor() {
    effect((onCleanup) => {
      const jobId = this.jobId();
      this.run.set(null);
      this.searched.set(false);
      let stop = () => undefined as void;
      stop = startPolling(async () => {
        try {
          const { data } = await listRuns({ client: this.api, query: { job: jobId } });
          const run = data[0] ?? null;
          // Same status and id: keep the object, so the charts do not reload.
          const prev = this.run();
          if (!prev || !run || prev.run_id !== run.run_id || prev.status !== run.status) this.run.set(run);
          this.error.set(null);
          if (run ? run.status !== 'running' : !this.active()) stop();
        } catch (err) {
          this.error.set(errorMessage(err));
        } finally {
          this.searched.set(true);
        }
      }, POLL_MS);
      onCleanup(() => stop());
    });
  }
}
