import { DestroyRef, Injectable, computed, effect, inject, signal, untracked } from '@angular/core';
import {
  type ControlJobData,
  type JobDto,
  type JobStatus,
  cancelQueueItem,
  cleanupJobs,
  controlJob,
  deleteJob,
  getJob,
  getJobLog,
  listJobs,
} from '@trainyard/sdk';
import { API, errorMessage, isStatus } from '../core/api';
import { describeParams } from '../core/format';
import { followJobChanges } from '../core/job-changes';
import { RefreshBus } from '../core/refresh';
import { SchedulerStore } from '../core/scheduler.store';
import { ToastStore } from '../core/toast.store';

export type StatusFilter = 'all' | 'active' | 'done' | 'failed' | 'aborted';
export type JobAction = ControlJobData['path']['action'];

const PAGE = 200;

const FILTER_STATUSES: Record<StatusFilter, JobStatus[] | null> = {
  all: null,
  active: ['queued', 'starting', 'running', 'terminating'],
  done: ['done'],
  failed: ['failed'],
  aborted: ['aborted'],
};

const ACTION_DONE: Record<JobAction, string> = {
  kill: 'Kill sent (SIGTERM)',
  abort: 'Abort sent',
  'force-kill': 'Force kill sent (SIGKILL)',
  stop: 'Stop requested from the trainer',
  save: 'Checkpoint requested from the trainer',
  'save-stop': 'Save & stop requested from the trainer',
};

/**
 * Jobs (GET /api/jobs, re-read on every job change the server streams), the status filter and text
 * search, the selected job, and every job action. Provided by the jobs view (its detail pane shares it).
 */
@Injectable()
export class JobsStore {
  private readonly api = inject(API);
  private readonly toasts = inject(ToastStore);
  private readonly scheduler = inject(SchedulerStore);

  readonly items = signal<JobDto[]>([]);
  readonly total = signal(0);
  readonly hasMore = signal(false);
  readonly loading = signal(true);
  readonly error = signal<string | null>(null);

  readonly statusFilter = signal<StatusFilter>('all');
  readonly search = signal('');
  private readonly limit = signal(PAGE);

  /** The job open in the pane (from the route). */
  readonly selectedId = signal<string | null>(null);
  /** The selected job when the filter hides it from the list. */
  private readonly selectedExtra = signal<JobDto | null>(null);
  /** The selected id answered 404 (deleted, or a stale link). */
  readonly selectedMissing = signal(false);
  /** Jobs with an action in flight. */
  readonly pending = signal<ReadonlySet<string>>(new Set());

  /** The list after the text search (status filtering happens on the server). */
  readonly visible = computed(() => {
    const q = this.search().trim().toLowerCase();
    const items = this.items();
    if (!q) return items;
    return items.filter((job) =>
      [
        job.queue_id,
        job.name ?? '',
        job.job_type,
        job.status,
        job.error ?? '',
        job.cwd,
        describeParams(job.job_type, job.job_params),
      ]
        .join('\n')
        .toLowerCase()
        .includes(q),
    );
  });

  readonly selected = computed(() => {
    const id = this.selectedId();
    if (!id) return null;
    return (
      this.items().find((j) => j.queue_id === id) ??
      (this.selectedExtra()?.queue_id === id ? this.selectedExtra() : null)
    );
  });

  readonly finishedCount = computed(
    () => this.items().filter((j) => ['done', 'failed', 'aborted'].includes(j.status)).length,
  );

  private generation = 0;

  constructor() {
    const stop = followJobChanges(() => this.load());
    const refresh = inject(RefreshBus);
    // Reload at once when the filter, the page size, the selection or the refresh button changes.
    let first = true;
    effect(() => {
      this.statusFilter();
      this.limit();
      this.selectedId();
      refresh.tick();
      if (first) {
        first = false;
        return;
      }
      untracked(() => void this.load());
    });
    inject(DestroyRef).onDestroy(stop);
  }

  setFilter(filter: StatusFilter): void {
    if (filter === this.statusFilter()) return;
    this.loading.set(true);
    this.limit.set(PAGE);
    this.statusFilter.set(filter);
  }

  showMore(): void {
    this.limit.update((n) => n + PAGE);
  }

  async load(): Promise<void> {
    const generation = ++this.generation;
    const statuses = FILTER_STATUSES[this.statusFilter()];
    const selectedId = this.selectedId();
    // The sidebar's running/queued counts stay in step with the table.
    void this.scheduler.load();
    try {
      const { data } = await listJobs({
        client: this.api,
        query: { limit: this.limit(), ...(statuses && { status: statuses.join(',') }) },
      });
      let extra: JobDto | null = null;
      let missing = false;
      if (selectedId && !data.items.some((j) => j.queue_id === selectedId)) {
        try {
          extra = (await getJob({ client: this.api, path: { queue_id: selectedId } })).data;
        } catch (err) {
          if (!isStatus(err, 404)) throw err;
          missing = true;
        }
      }
      if (generation !== this.generation) return; // a newer load (other filter) is on its way
      this.items.set(data.items);
      this.total.set(data.total);
      this.hasMore.set(data.next_cursor !== null);
      this.selectedExtra.set(extra);
      if (selectedId === this.selectedId()) this.selectedMissing.set(missing);
      this.error.set(null);
    } catch (err) {
      if (generation === this.generation) this.error.set(errorMessage(err));
    } finally {
      if (generation === this.generation) this.loading.set(false);
    }
  }

  async control(job: JobDto, action: JobAction): Promise<boolean> {
    return this.run(job, async () => {
      const { data } = await controlJob({ client: this.api, path: { queue_id: job.queue_id, action } });
      const survivors = data.survivors?.length
        ? ` — still alive after 2 s: ${data.survivors.join(', ')}`
        : '';
      const pids = data.pids?.length
        ? ` to ${data.pids.length} process${data.pids.length === 1 ? '' : 'es'}`
        : '';
      if (survivors) this.toasts.error(`${ACTION_DONE[action]}${pids}${survivors}`);
      else this.toasts.info(`${ACTION_DONE[action]}${pids}: ${label(job)}`);
    });
  }

  async cancel(job: JobDto): Promise<boolean> {
    return this.run(job, async () => {
      const { data } = await cancelQueueItem({ client: this.api, path: { queue_id: job.queue_id } });
      this.toasts.info(
        data.outcome === 'removed'
          ? `Removed ${label(job)} from the queue.`
          : `${label(job)} had started; aborting it.`,
      );
    });
  }

  async remove(job: JobDto): Promise<boolean> {
    return this.run(job, async () => {
      await deleteJob({ client: this.api, path: { queue_id: job.queue_id } });
      this.items.update((list) => list.filter((j) => j.queue_id !== job.queue_id));
      this.toasts.info(`Deleted ${label(job)} and its log.`);
    });
  }

  async cleanup(): Promise<void> {
    try {
      const { data } = await cleanupJobs({ client: this.api });
      this.toasts.success(
        data.deleted.length
          ? `Deleted ${data.deleted.length} finished job${data.deleted.length === 1 ? '' : 's'}.`
          : 'No finished jobs to clean up.',
      );
      await this.load();
    } catch (err) {
      this.toasts.error(errorMessage(err));
    }
  }

  /** The whole log (GET /api/jobs/{id}/tty, the last 32 MiB) as a file download. */
  async download(job: JobDto): Promise<void> {
    try {
      const { data } = await getJobLog({
        client: this.api,
        path: { queue_id: job.queue_id },
        parseAs: 'blob',
      });
      const blob = data as unknown as Blob;
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${(job.name ?? job.queue_id).replace(/[^\w.-]+/g, '_')}.log`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      this.toasts.error(errorMessage(err));
    }
  }

  private async run(job: JobDto, action: () => Promise<void>): Promise<boolean> {
    this.pending.update((s) => new Set(s).add(job.queue_id));
    try {
      await action();
      void this.load();
      return true;
    } catch (err) {
      this.toasts.error(errorMessage(err));
      return false;
    } finally {
      this.pending.update((s) => {
        const next = new Set(s);
        next.delete(job.queue_id);
        return next;
      });
    }
  }
}

export function label(job: JobDto): string {
  return job.name ?? job.queue_id;
}
