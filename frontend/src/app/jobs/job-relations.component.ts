import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import {
  type ArrayDto,
  type DependentDto,
  type JobDto,
  cancelArray,
  getArray,
  getJobDependents,
  retryArray,
} from '@trainyard/sdk';
import { API, errorMessage } from '../core/api';
import { ConfirmStore } from '../core/confirm.store';
import { arrayDependentsNote } from '../core/dependents-note';
import { statusLabel } from '../core/format';
import { ToastStore } from '../core/toast.store';
import { JobsStore } from './jobs.store';

const CONDITION_TEXT: Record<string, string> = {
  after_ok: 'after it succeeds',
  after_any: 'after it ends',
  after_not_ok: 'if it fails',
  after_start: 'once it starts',
};

/**
 * The job pane's links to related jobs: what it waits for (depends_on), who waits for it, the job
 * it retries, and its array (progress n/N, Retry failed, Cancel array). Re-read whenever the job
 * reloads (its status changed).
 */
@Component({
  selector: 'ty-job-relations',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (job().depends_on.length) {
      <div class="rel" role="group" aria-label="Dependencies">
        <span class="muted">waits for</span>
        @for (dep of job().depends_on; track dep.queue_id) {
          <a class="mono" [routerLink]="['/jobs', dep.queue_id]" [title]="dep.condition">{{
            dep.queue_id
          }}</a>
          <span class="muted">{{ conditionText(dep.condition) }}</span>
        }
      </div>
    }
    @if (dependents().length) {
      <div class="rel" role="group" aria-label="Dependents">
        <span class="muted">needed by</span>
        @for (dep of dependents(); track dep.queue_id) {
          <a
            class="mono"
            [routerLink]="['/jobs', dep.queue_id]"
            [title]="dep.condition + ' · ' + (dep.held ? 'queued, held by the user' : dep.status)"
            >{{ dep.name ?? dep.queue_id }}</a
          >
          <span class="muted">({{ statusLabel(dep) }})</span>
        }
      </div>
    }
    @if (job().retry_of; as original) {
      <div class="rel" role="group" aria-label="Retry of">
        <span class="muted">retries</span>
        <a class="mono" [routerLink]="['/jobs', original]">{{ original }}</a>
      </div>
    }
    @if (retriedAs(); as copy) {
      <div class="rel" role="group" aria-label="Retried as">
        <span class="muted">retried as</span>
        <a class="mono" [routerLink]="['/jobs', copy]">{{ copy }}</a>
      </div>
    }
    @if (array(); as arr) {
      <div class="rel" role="group" aria-label="Array">
        <span class="muted">array</span>
        <button
          type="button"
          class="link mono"
          [title]="'Show the jobs of array ' + arr.array_id"
          (click)="jobs.showArray(arr.array_id)"
        >
          {{ arr.array_id }}
        </button>
        <span class="muted">index {{ job().array_index }}</span>
        <progress
          [value]="arr.finished"
          [max]="arr.total"
          [attr.aria-label]="'Array progress ' + progress()"
        ></progress>
        <span>{{ progress() }}</span>
        @if (failedCount()) {
          <span class="bad">{{ failedCount() }} failed</span>
        }
        @if (arr.retried_as.length) {
          <span class="muted">retried as</span>
          @for (copy of arr.retried_as; track copy) {
            <button
              type="button"
              class="link mono"
              [title]="'Show the jobs of array ' + copy"
              (click)="jobs.showArray(copy)"
            >
              {{ copy }}
            </button>
          }
        }
        <!-- Only failures not retried yet: a second retry of the same ones is refused (409). -->
        @if (arr.retryable) {
          <button
            type="button"
            class="btn btn-sm"
            title="Queue a copy of each failed or aborted job as a new array (each keeps its index)"
            (click)="retryFailed(arr)"
          >
            Retry failed
          </button>
        }
        @if (unfinished()) {
          <button type="button" class="btn btn-sm btn-danger" (click)="cancelAll(arr)">Cancel array</button>
        }
      </div>
    }
  `,
  styles: `
    :host {
      display: block;
      padding: 0 12px;
    }
    .rel {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 4px 8px;
      padding: 2px 0;
      font-size: 12px;
    }
    .rel a {
      color: var(--accent, inherit);
    }
    .bad {
      color: var(--danger, #c62828);
    }
    progress {
      width: 120px;
    }
  `,
})
export class JobRelationsComponent {
  readonly job = input.required<JobDto>();

  private readonly api = inject(API);
  private readonly confirm = inject(ConfirmStore);
  private readonly toasts = inject(ToastStore);
  protected readonly jobs = inject(JobsStore);
  protected readonly dependents = signal<DependentDto[]>([]);
  protected readonly statusLabel = statusLabel;
  protected readonly array = signal<ArrayDto | null>(null);
  protected readonly progress = computed(() => {
    const arr = this.array();
    return arr ? `${arr.finished}/${arr.total}` : '';
  });
  protected readonly failedCount = computed(() => {
    const counts = this.array()?.counts ?? {};
    return (counts['failed'] ?? 0) + (counts['aborted'] ?? 0);
  });
  protected readonly unfinished = computed(() => {
    const arr = this.array();
    return arr !== null && arr.finished < arr.total;
  });
  protected readonly conditionText = (condition: string) => CONDITION_TEXT[condition] ?? condition;
  /** The job that retries this one, when its array was retried. */
  protected readonly retriedAs = computed(
    () => this.array()?.jobs.find((j) => j.queue_id === this.job().queue_id)?.retried_as ?? null,
  );

  constructor() {
    effect(() => {
      const job = this.job();
      void this.load(job);
    });
  }

  private async load(job: JobDto): Promise<void> {
    try {
      const [dependents, array] = await Promise.all([
        getJobDependents({ client: this.api, path: { queue_id: job.queue_id } }),
        job.array_id ? getArray({ client: this.api, path: { array_id: job.array_id } }) : null,
      ]);
      if (this.job().queue_id !== job.queue_id) return;
      this.dependents.set(dependents.data);
      this.array.set(array?.data ?? null);
    } catch {
      // keep what was shown; the next reload tries again
    }
  }

  /**
   * A new array of copies of its failed jobs, after asking (how many are queued again); the server
   * refuses (409, said in the toast) a second retry of the same failures. The pane stays on this job
   * and the list where it was: the toast names the new array.
   */
  protected async retryFailed(arr: ArrayDto): Promise<void> {
    const n = arr.retryable;
    const jobs = `${n} job${n === 1 ? '' : 's'}`;
    const ok = await this.confirm.ask({
      title: `Retry ${jobs} of array ${arr.array_id}?`,
      message: `A copy of each failed or aborted job not retried yet (${jobs}) is queued again as a new array; each keeps its index. The jobs that failed stay as they are.`,
      confirmLabel: `Queue ${jobs} again`,
    });
    if (!ok) return;
    try {
      const { data } = await retryArray({ client: this.api, path: { array_id: arr.array_id } });
      this.toasts.success(
        `Retrying ${data.total} job${data.total === 1 ? '' : 's'} as array ${data.array_id}.`,
      );
      void this.load(this.job());
    } catch (err) {
      this.toasts.error(`Could not retry array ${arr.array_id}: ${errorMessage(err)}`);
    }
  }

  protected async cancelAll(arr: ArrayDto): Promise<void> {
    const waiting = arr.counts['queued'] ?? 0;
    const running = arr.total - arr.finished - waiting;
    // As a single job's kill or cancel does: name the queued jobs outside the array it aborts.
    const warning = await arrayDependentsNote(this.api, arr);
    const ok = await this.confirm.ask({
      title: `Cancel array ${arr.array_id}?`,
      message: `${waiting} queued job${waiting === 1 ? ' is' : 's are'} cancelled (kept as aborted) and ${running} running job${running === 1 ? ' is' : 's are'} stopped (SIGTERM, then SIGKILL). Finished jobs stay.`,
      ...(warning && { warning }),
      confirmLabel: 'Cancel array',
      dismissLabel: 'Keep',
      danger: true,
    });
    if (!ok) return;
    try {
      const { data } = await cancelArray({ client: this.api, path: { array_id: arr.array_id } });
      this.toasts.info(
        `Removed ${data.removed.length}, stopping ${data.aborting.length}` +
          (data.aborted.length ? `, ended ${data.aborted.length} that had run before` : ''),
      );
      void this.load(this.job());
    } catch {
      this.toasts.error(`Could not cancel array ${arr.array_id}.`);
    }
  }
}
