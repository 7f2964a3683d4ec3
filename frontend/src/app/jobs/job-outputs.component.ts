import { ChangeDetectionStrategy, Component, computed, input, output, signal } from '@angular/core';
import type { LogEndFrame } from '@trainyard/sdk';
import { readStored, writeStored } from '../core/storage';
import { watchJobRun } from '../runs/job-run';
import { JobMetricsComponent } from '../runs/job-metrics.component';
import { LogViewerComponent } from './log-viewer.component';

/** Whether the user last chose to see the log and the metrics side by side (kept in localStorage). */
export const SIDE_BY_SIDE_KEY = 'trainyard.jobs.sideBySide';

export type JobOutputView = 'log' | 'metrics' | 'both';

/**
 * The job pane's output: its live log, its run's metric charts (a lazy chunk), or both at once —
 * side by side, stacked when the pane is narrow. The log viewer stays the same instance between
 * "Log" and "Side by side", so its stream and follow state carry over. "Side by side" is
 * remembered; it is unavailable (and says why) for a job that has no run and will not get one.
 */
@Component({
  selector: 'ty-job-outputs',
  imports: [LogViewerComponent, JobMetricsComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="tabs" role="tablist" aria-label="Job output">
      <button type="button" role="tab" [attr.aria-selected]="shown() === 'log'" (click)="choose('log')">
        Log
      </button>
      <button
        type="button"
        role="tab"
        [attr.aria-selected]="shown() === 'metrics'"
        (click)="choose('metrics')"
      >
        Metrics
      </button>
      <button
        type="button"
        role="tab"
        [attr.aria-selected]="shown() === 'both'"
        [attr.aria-disabled]="noRun() ? 'true' : null"
        [title]="
          noRun()
            ? 'This job has no run, so there are no metrics to show beside its log'
            : 'Log and metrics side by side'
        "
        (click)="choose('both')"
      >
        Side by side
      </button>
    </div>
    <div class="outputs" [class.both]="shown() === 'both'">
      @if (shown() !== 'metrics') {
        @if (started() === true) {
          <ty-log-viewer
            [queueId]="queueId()"
            [queued]="queued()"
            (ended)="ended.emit($event)"
            (download)="download.emit()"
          />
        } @else {
          <!-- No log exists before the start: asking for one would only answer 404. -->
          <p class="no-log muted" role="status">
            {{
              started() === null
                ? 'Loading…'
                : queued()
                  ? 'Waiting for the job to start…'
                  : 'This job never started: it has no output.'
            }}
          </p>
        }
      }
      @if (shown() !== 'log') {
        @defer {
          <ty-job-metrics [lookup]="lookup" />
        }
      }
    </div>
  `,
  styles: `
    .no-log {
      margin: 0;
      padding: 12px;
      flex: 1;
    }
    :host {
      display: flex;
      flex-direction: column;
      flex: 1;
      min-height: 0;
      container-type: inline-size;
    }
    .tabs {
      display: flex;
      gap: 2px;
      padding: 0 12px;
      border-bottom: 1px solid var(--border);
    }
    .tabs button {
      border: 0;
      background: none;
      color: var(--text-muted);
      padding: 3px 10px;
      font-size: 12px;
      border-bottom: 2px solid transparent;
      cursor: pointer;
    }
    .tabs button[aria-selected='true'] {
      color: var(--text);
      border-bottom-color: var(--accent);
    }
    .tabs button[aria-disabled='true'] {
      opacity: 0.5;
      cursor: not-allowed;
    }
    .outputs {
      display: flex;
      flex-direction: column;
      flex: 1;
      min-height: 0;
    }
    /* Both: two equal halves, log left; stacked (log on top) when the pane is narrow (800 px window). */
    .outputs.both {
      display: grid;
      grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
      grid-template-rows: minmax(0, 1fr);
    }
    .outputs.both > * {
      min-width: 0;
      min-height: 0;
    }
    .outputs.both > * + * {
      border-left: 1px solid var(--border);
    }
    /* Stacked: the charts take the height they need (then scroll), the log the rest, at least ~7 lines. */
    @container (max-width: 760px) {
      .outputs.both {
        grid-template-columns: minmax(0, 1fr);
        grid-template-rows: minmax(150px, 1fr) minmax(0, max-content);
      }
      .outputs.both > * + * {
        border-left: 0;
        border-top: 1px solid var(--border);
      }
    }
  `,
})
export class JobOutputsComponent {
  /** The job's queue_id. */
  readonly queueId = input.required<string>();
  /** Whether the job still waits in the queue (the log viewer says so). */
  readonly queued = input(false);
  /**
   * Whether the job has started (has a log to show; the viewer is created once it has), or null
   * while the job is not loaded yet.
   */
  readonly started = input<boolean | null>(true);
  /** Whether the job may still write (not loaded yet, queued, starting or running): keep looking for its run. */
  readonly active = input(true);
  /** The log's end frame (the job ended). */
  readonly ended = output<LogEndFrame>();
  /** The log viewer's download button. */
  readonly download = output<void>();

  /** The job's run, looked up once for the metrics view and for whether "Side by side" makes sense. */
  protected readonly lookup = watchJobRun(
    () => this.queueId(),
    () => this.active(),
  );
  private readonly chosen = signal<JobOutputView>(
    readStored<unknown>(SIDE_BY_SIDE_KEY, false) === true ? 'both' : 'log',
  );
  /** The job has no run and will not get one: nothing to chart beside the log. */
  protected readonly noRun = computed(
    () => this.lookup.searched() && !this.lookup.run() && !this.lookup.error() && !this.active(),
  );
  /** What is shown: the choice, but the log alone where "both" has no metrics half. */
  protected readonly shown = computed<JobOutputView>(() => {
    const view = this.chosen();
    return view === 'both' && this.noRun() ? 'log' : view;
  });

  protected choose(view: JobOutputView): void {
    if (view === 'both' && this.noRun()) return;
    this.chosen.set(view);
    writeStored(SIDE_BY_SIDE_KEY, view === 'both');
  }
}
