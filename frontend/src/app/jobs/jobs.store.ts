import { DestroyRef, Injectable, computed, effect, inject, signal, untracked } from '@angular/core';
import { from, lastValueFrom, mergeMap } from 'rxjs';
import {
  type ControlJobData,
  type JobControlResponseDto,
  type JobDto,
  type JobStatus,
  type ListJobsData,
  cancelQueueItem,
  cleanupJobs,
  controlJob,
  deleteJob,
  getJob,
  getJobLog,
  listJobsUpTo,
} from '@trainyard/sdk';
import { API, errorMessage, isStatus } from '../core/api';
import { followJobChanges } from '../core/job-changes';
import { RefreshBus } from '../core/refresh';
import { SchedulerStore } from '../core/scheduler.store';
import { formatTime } from '../core/format';
import { ToastStore } from '../core/toast.store';

/** The status filters the page has a button for. */
export const STATUS_TABS = ['all', 'active', 'held', 'done', 'failed', 'aborted'] as const;
export type StatusTab = (typeof STATUS_TABS)[number];
/** What GET /api/jobs' status filter takes: a status, or `held` (the queued jobs on hold). */
export type StatusFilterValue = JobStatus | 'held';
/**
 * A button's filter, or statuses no button stands for, as the API takes them (`queued`,
 * `queued,running`): from a link or a reload of one.
 */
export type StatusFilter = StatusTab | StatusFilterValue | `${StatusFilterValue},${string}`;

/** The statuses a filter asks the API for (null: every status). */
export function statusesOf(filter: StatusFilter): StatusFilterValue[] | null {
  return (STATUS_TABS as readonly string[]).includes(filter)
    ? FILTER_STATUSES[filter as StatusTab]
    : (filter.split(',') as StatusFilterValue[]);
}
export type JobAction = ControlJobData['path']['action'];
export type JobSort = NonNullable<NonNullable<ListJobsData['query']>['sort']>;
export interface SortState {
  by: JobSort;
  order: 'asc' | 'desc';
}

/** Actions on many selected rows at once. */
export type BulkKind = 'cancel' | 'kill' | 'remove';
const BULK_DONE: Record<BulkKind, string> = {
  cancel: 'Cancelled',
  kill: 'Kill sent (SIGTERM) to',
  remove: 'Deleted (with logs)',
};

/** How long typing pauses before the search goes to the server. */
export const SEARCH_DEBOUNCE_MS = 250;
/** A trainer publishes its control endpoint soon after it starts: poll for it this long. */
const ENDPOINT_WAIT_MS = 120_000;

/** Sorts that start A→Z; the others (times, priority, runtime) start with the highest. */
export function defaultOrder(by: JobSort): 'asc' | 'desc' {
  return by === 'name' || by === 'status' || by === 'job_type' ? 'asc' : 'desc';
}

const PAGE = 200;
/** Requests a bulk action has in flight at once (a browser opens at most six connections per host). */
const BULK_CONCURRENCY = 4;

const FILTER_STATUSES: Record<StatusTab, StatusFilterValue[] | null> = {
  all: null,
  active: ['queued', 'starting', 'running', 'terminating'],
  held: ['held'],
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
 * Why a filtered list is empty, naming every filter in force:
 * `No failed job of type command submitted from 2026-11-01 matches “zzz”`.
 */
export function noMatchMessage(f: {
  filter: StatusFilter;
  q: string;
  type: string;
  from: string;
  to: string;
  array?: string;
}): string {
  const kind = f.filter === 'all' ? '' : `${f.filter.split(',').join(' or ')} `;
  const type = (f.array ? ` of array ${f.array}` : '') + (f.type ? ` of type ${f.type}` : '');
  const range = [f.from && `from ${f.from}`, f.to && `to ${f.to}`].filter(Boolean).join(' ');
  const dates = range ? ` submitted ${range}` : '';
  // ISO dates compare as text: a range that ends before it starts holds nothing, whatever the jobs.
  const inverted = f.from && f.to && f.from > f.to ? ' (the range ends before it starts)' : '';
  return (f.q ? `No ${kind}job${type}${dates} matches “${f.q}”` : `No ${kind}jobs${type}${dates}`) + inverted;
}

/**
 * The toast for a control answer. Processes still alive after SIGTERM are the normal case (a trainer
 * saving): a neutral note with when SIGKILL follows (`kill_at`). Only processes alive after SIGKILL
 * are an error. A `repeated` kill sent nothing: the job was already stopping.
 */
export function controlNotice(
  action: JobAction,
  data: JobControlResponseDto,
  name: string,
): { message: string; error: boolean } {
  const count = (n: number) => `${n} process${n === 1 ? '' : 'es'}`;
  const killAt = data.kill_at ? `SIGKILL at ${formatTime(data.kill_at)}` : 'SIGKILL after its grace period';
  const survivors = data.survivors ?? [];
  if (action === 'kill' && data.repeated) {
    return {
      message: `Already stopping — SIGTERM was sent before; ${killAt}. Force kill ends it now.`,
      error: false,
    };
  }
  if (action === 'kill') {
    const sent = `SIGTERM sent${data.pids?.length ? ` to ${count(data.pids.length)}` : ''}`;
    return survivors.length
      ? { message: `${sent}; still shutting down — ${killAt} unless it exits`, error: false }
      : { message: `${sent}: ${name}`, error: false };
  }
  if (survivors.length) {
    // Alive after SIGKILL (force kill) or an abort: something is wrong.
    const pids = data.pids?.length ? ` to ${count(data.pids.length)}` : '';
    return {
      message: `${ACTION_DONE[action]}${pids} — still alive after 2 s: ${survivors.join(', ')}`,
      error: true,
    };
  }
  const pids = data.pids?.length ? ` to ${count(data.pids.length)}` : '';
  // An abort its trainer did not take was signalled instead: "Abort sent" alone would hide that.
  if (data.trainer_error !== undefined)
    return {
      message: `The trainer did not take the abort (${data.trainer_error}); SIGTERM sent${pids} instead: ${name}`,
      error: false,
    };
  return { message: `${ACTION_DONE[action]}${pids}: ${name}`, error: false };
}

/**
 * Jobs (GET /api/jobs: searched, filtered and sorted on the server; re-read on every job change the
 * server streams), the selected job, and every job action. Provided by the jobs view (its detail
 * pane shares it).
 */
@Injectable()
export class JobsStore {
  private readonly api = inject(API);
  private readonly toasts = inject(ToastStore);
  private readonly scheduler = inject(SchedulerStore);

  readonly items = signal<JobDto[]>([]);
  /** How many jobs match the search and filter (all of them, not only those loaded). */
  readonly total = signal(0);
  readonly hasMore = signal(false);
  readonly loading = signal(true);
  readonly error = signal<string | null>(null);

  readonly statusFilter = signal<StatusFilter>('all');
  /** The search box as typed; the server gets it `SEARCH_DEBOUNCE_MS` after typing stops. */
  readonly search = signal('');
  /** The search the list shows. */
  readonly query = signal('');
  /** A column sort, or null for the default order (unfinished first, then newest). */
  readonly sort = signal<SortState | null>(null);
  /** Only jobs of this type ('' = every type). */
  readonly typeFilter = signal('');
  /** Only jobs submitted on or after / before the end of these days (`YYYY-MM-DD`, UTC; '' = open). */
  readonly submittedFrom = signal('');
  readonly submittedTo = signal('');
  /** Only the jobs of this array (its `array_id`, exactly; '' = any). */
  readonly arrayFilter = signal('');
  private readonly limit = signal(PAGE);

  /** The job open in the pane (from the route). */
  readonly selectedId = signal<string | null>(null);
  /** The selected job when the filter hides it from the list. */
  private readonly selectedExtra = signal<JobDto | null>(null);
  /** The selected id answered 404 (deleted, or a stale link). */
  readonly selectedMissing = signal(false);
  /** Jobs with an action in flight. */
  readonly pending = signal<ReadonlySet<string>>(new Set());

  /** The rows shown: the server already searched, filtered and sorted them. */
  readonly visible = this.items.asReadonly();
  /** Whether a search or status filter narrows the list. */
  readonly filtered = computed(
    () =>
      this.query().trim() !== '' ||
      this.statusFilter() !== 'all' ||
      this.typeFilter() !== '' ||
      this.submittedFrom() !== '' ||
      this.submittedTo() !== '' ||
      this.arrayFilter() !== '',
  );

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

  /** A bulk action is under way: change-driven reloads wait for its end. */
  private readonly bulkRunning = signal(false);
  private generation = 0;
  private loaded = false;

  constructor() {
    // Loads on the change stream's frames; polls while live only for what comes without an event.
    const stop = followJobChanges(() => this.load(), {
      pollWhileLive: () => this.awaitingEndpoint(),
      hold: this.bulkRunning,
    });
    const refresh = inject(RefreshBus);
    // Reload at once when the filter, the search, the sort, the page size or the refresh button changes.
    let first = true;
    effect(() => {
      this.statusFilter();
      this.typeFilter();
      this.submittedFrom();
      this.submittedTo();
      this.arrayFilter();
      this.query();
      this.sort();
      this.limit();
      refresh.tick();
      if (first) {
        first = false;
        return;
      }
      untracked(() => void this.load());
    });
    // Typing settles before it reaches the server.
    let debounce: ReturnType<typeof setTimeout> | undefined;
    effect(() => {
      const text = this.search();
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        if (text === untracked(this.query)) return;
        this.loading.set(true);
        this.limit.set(PAGE);
        this.query.set(text);
      }, SEARCH_DEBOUNCE_MS);
    });
    // A newly selected job comes from the list already loaded, or on its own (not the whole list again).
    effect(() => {
      const id = this.selectedId();
      if (id) untracked(() => void this.loadSelected(id));
    });
    inject(DestroyRef).onDestroy(() => {
      stop();
      clearTimeout(debounce);
    });
  }

  /** Takes the filter, search and sort a URL asked for (before the first load). */
  restore(state: {
    filter: StatusFilter;
    q: string;
    sort: SortState | null;
    type?: string;
    from?: string;
    to?: string;
    array?: string;
  }): void {
    this.statusFilter.set(state.filter);
    this.arrayFilter.set(state.array ?? '');
    this.typeFilter.set(state.type ?? '');
    this.submittedFrom.set(state.from ?? '');
    this.submittedTo.set(state.to ?? '');
    this.search.set(state.q);
    this.query.set(state.q);
    this.sort.set(state.sort);
  }

  /** Back to every job: no status, type, date or array filter and no search (the sort stays). */
  clearFilters(): void {
    this.limit.set(PAGE);
    this.statusFilter.set('all');
    this.arrayFilter.set('');
    this.typeFilter.set('');
    this.submittedFrom.set('');
    this.submittedTo.set('');
    this.search.set('');
    this.query.set('');
  }

  /**
   * Every job of an array, whatever its status: GET /api/jobs?array_id= (its jobs only, not those
   * whose name or command mentions the id, as a search would), with no other filter; the open pane
   * stays. It lands in the URL as `?array=`.
   */
  showArray(arrayId: string): void {
    this.clearFilters();
    this.arrayFilter.set(arrayId);
  }

  setFilter(filter: StatusFilter): void {
    if (filter === this.statusFilter()) return;
    this.loading.set(true);
    this.limit.set(PAGE);
    this.statusFilter.set(filter);
  }

  /** Sorts by `by`: first in its natural order, then reversed, then back to the default order. */
  toggleSort(by: JobSort): void {
    const current = this.sort();
    const first = defaultOrder(by);
    this.limit.set(PAGE);
    if (current?.by !== by) this.sort.set({ by, order: first });
    else if (current.order === first) this.sort.set({ by, order: first === 'asc' ? 'desc' : 'asc' });
    else this.sort.set(null);
  }

  showMore(): void {
    this.limit.update((n) => n + PAGE);
  }

  async load(): Promise<void> {
    const generation = ++this.generation;
    const statuses = statusesOf(this.statusFilter());
    const q = this.query().trim();
    const sort = this.sort();
    const selectedId = this.selectedId();
    // The sidebar's running/queued counts stay in step with the table.
    void this.scheduler.load();
    try {
      // Past 1,000 rows (the most one request may ask for), the rest comes page by page.
      const data = await listJobsUpTo(
        this.api,
        {
          ...(statuses && { status: statuses.join(',') }),
          ...(q && { q }),
          ...(sort && { sort: sort.by, order: sort.order }),
          ...(this.typeFilter() && { job_type: this.typeFilter() }),
          ...(this.submittedFrom() && { submitted_after: localDayStart(this.submittedFrom()) }),
          ...(this.submittedTo() && { submitted_before: localDayStart(this.submittedTo(), 1) }),
          ...(this.arrayFilter() && { array_id: this.arrayFilter() }),
        },
        this.limit(),
      );
      const found =
        selectedId && !data.items.some((j) => j.queue_id === selectedId)
          ? await this.fetchOne(selectedId)
          : { job: null, missing: false };
      if (generation !== this.generation) return; // a newer load (other filter) is on its way
      this.loaded = true;
      this.items.set(data.items);
      this.total.set(data.total);
      this.hasMore.set(data.more);
      this.selectedExtra.set(found.job);
      if (selectedId === this.selectedId()) this.selectedMissing.set(found.missing);
      this.error.set(null);
    } catch (err) {
      if (generation === this.generation) this.error.set(errorMessage(err));
    } finally {
      if (generation === this.generation) this.loading.set(false);
    }
  }

  /** The selected job when the list (loaded, or still to come) does not hold it. */
  private async loadSelected(id: string): Promise<void> {
    if (!this.loaded || this.items().some((j) => j.queue_id === id)) return;
    try {
      const found = await this.fetchOne(id);
      if (this.selectedId() !== id) return;
      this.selectedExtra.set(found.job);
      this.selectedMissing.set(found.missing);
    } catch (err) {
      this.toasts.error(errorMessage(err));
    }
  }

  private async fetchOne(id: string): Promise<{ job: JobDto | null; missing: boolean }> {
    try {
      return { job: (await getJob({ client: this.api, path: { queue_id: id } })).data, missing: false };
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
      return { job: null, missing: true };
    }
  }

  /** A job that started recently and may still publish its trainer endpoint (no event says when). */
  private awaitingEndpoint(): boolean {
    const now = Date.now();
    return [...this.items(), this.selectedExtra()].some(
      (job) =>
        job !== null &&
        (job.status === 'starting' ||
          (job.status === 'running' &&
            !job.trainer_endpoint &&
            (!job.started_at || now - Date.parse(job.started_at) < ENDPOINT_WAIT_MS))),
    );
  }

  async control(job: JobDto, action: JobAction): Promise<boolean> {
    return this.run(job, async () => {
      const { data } = await controlJob({ client: this.api, path: { queue_id: job.queue_id, action } });
      const notice = controlNotice(action, data, label(job));
      if (notice.error) this.toasts.error(notice.message);
      else this.toasts.info(notice.message);
    });
  }

  async cancel(job: JobDto): Promise<boolean> {
    return this.run(job, async () => {
      const { data } = await cancelQueueItem({ client: this.api, path: { queue_id: job.queue_id } });
      this.toasts.info(
        data.outcome === 'removed'
          ? `Removed ${label(job)} from the queue.`
          : data.outcome === 'aborted'
            ? `Cancelled ${label(job)}: ${job.array_id ? 'kept as aborted in its array' : 'it had run before, so it is kept as aborted'}.`
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

  /**
   * Deletes finished jobs and their logs (POST /api/jobs/cleanup): all of them, or those that ended
   * before `ended_before` (ISO 8601) and/or have one of `status` (comma-separated finished statuses).
   */
  async cleanup(query: { ended_before?: string; status?: string } = {}): Promise<void> {
    try {
      const { data } = await cleanupJobs({ client: this.api, query });
      const kept = data.kept.length ? ` Kept ${data.kept.length} that queued jobs depend on.` : '';
      this.toasts.success(
        (data.deleted.length
          ? `Deleted ${data.deleted.length} finished job${data.deleted.length === 1 ? '' : 's'}.`
          : query.ended_before || query.status
            ? 'No finished job matched.'
            : 'No finished jobs to clean up.') + kept,
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

  /**
   * Cancels (queued), kills (running, SIGTERM) or deletes (finished) each job, BULK_CONCURRENCY
   * requests at a time; the list is not re-read meanwhile (every job's change would re-read it), and
   * leaving the page asks first. One toast for the lot (and one naming the first failure), one
   * reload at the end.
   */
  async bulk(jobs: readonly JobDto[], kind: BulkKind): Promise<void> {
    const ids = new Set(jobs.map((j) => j.queue_id));
    this.pending.update((s) => new Set([...s, ...ids]));
    this.bulkRunning.set(true);
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    const failures: string[] = [];
    const act = async (job: JobDto): Promise<void> => {
      const path = { queue_id: job.queue_id };
      try {
        if (kind === 'cancel') await cancelQueueItem({ client: this.api, path });
        else if (kind === 'kill') await controlJob({ client: this.api, path: { ...path, action: 'kill' } });
        else await deleteJob({ client: this.api, path });
      } catch (err) {
        failures.push(`${label(job)}: ${errorMessage(err)}`);
      }
    };
    try {
      await lastValueFrom(from(jobs).pipe(mergeMap(act, BULK_CONCURRENCY)), { defaultValue: undefined });
    } finally {
      window.removeEventListener('beforeunload', warn);
      this.bulkRunning.set(false);
    }
    this.pending.update((s) => new Set([...s].filter((id) => !ids.has(id))));
    const done = jobs.length - failures.length;
    if (done) this.toasts.info(`${BULK_DONE[kind]} ${done} job${done === 1 ? '' : 's'}.`);
    if (failures.length)
      this.toasts.error(`${failures.length} failed — ${failures[0]}${failures.length > 1 ? ' …' : ''}`);
    await this.load();
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

/**
 * The instant (ISO 8601, UTC) of the local midnight that starts the date picked, `days` later: the
 * day as the user lives it, not the UTC day a bare date means to the API. "Submitted up to this day"
 * is before the next day's start (DST days are 23 or 25 hours long).
 */
export function localDayStart(date: string, days = 0): string {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(year, month - 1, day + days).toISOString();
}
