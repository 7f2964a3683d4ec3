import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  computed,
  effect,
  inject,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import {
  ActivatedRoute,
  NavigationCancel,
  NavigationEnd,
  NavigationError,
  Router,
  RouterLink,
  RouterOutlet,
} from '@angular/router';
import { first } from 'rxjs';
import { type JobDto, listJobTypes } from '@trainyard/sdk';
import { API } from '../core/api';
import { Clock } from '../core/clock';
import { ConfirmStore } from '../core/confirm.store';
import { abortedDependentsNote } from '../core/dependents-note';
import { CleanupDialogComponent } from './cleanup-dialog.component';
import { ContextMenuStore } from '../core/context-menu.store';
import {
  describeParams,
  formatGpus,
  formatTime,
  isFinished,
  jobRuntime,
  shortId,
  stoppingNote,
  statusLabel,
} from '../core/format';
import { isTyping } from '../core/shortcuts';
import { readStored, writeStored } from '../core/storage';
import { SubmitLauncher } from '../core/submit-launcher';
import { KeepFocusDirective } from '../shared/keep-focus.directive';
import { RowNav, rowStep, stepRow } from '../shared/row-nav';
import { JobActions } from './job-actions';
import {
  type BulkKind,
  type JobSort,
  JobsStore,
  type StatusFilter,
  defaultOrder,
  noMatchMessage,
} from './jobs.store';
import { listStateFromQuery, listStateToQuery } from './jobs-url';
import { TrainerPillsComponent } from './trainer-status.component';

/** The question for several ticked jobs (one ticked job gets JobActions' own, singular question). */
const BULK: Record<BulkKind, { verb: string; message: (n: number) => string }> = {
  cancel: { verb: 'Remove', message: (n) => `These ${n} queued jobs are removed from the queue.` },
  kill: {
    verb: 'Kill',
    message: (n) =>
      `Every process of these ${n} jobs gets SIGTERM, then SIGKILL after each job's grace period.`,
  },
  remove: {
    verb: 'Delete',
    message: (n) => `These ${n} job records and their log files are removed for good.`,
  },
};

const SPLIT_KEY = 'trainyard.jobs.split';
const MIN_FRACTION = 0.15;
const MAX_FRACTION = 0.8;

/** The jobs table; selecting a row opens its pane (child route) below, at a height you can drag. */
@Component({
  selector: 'ty-jobs-page',
  imports: [RouterOutlet, RouterLink, TrainerPillsComponent, KeepFocusDirective, CleanupDialogComponent],
  providers: [JobsStore, JobActions],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <header class="page-head">
      <h1>Jobs</h1>
      <span class="muted summary" role="status">{{ summary() }}</span>
      <div class="segmented" role="group" aria-label="Filter by status">
        @for (f of filters; track f.value) {
          <button
            type="button"
            [attr.aria-pressed]="store.statusFilter() === f.value"
            (click)="store.setFilter(f.value)"
          >
            {{ f.label }}
          </button>
        }
        @if (customStatuses(); as custom) {
          <button
            type="button"
            aria-pressed="true"
            title="Show every status"
            (click)="store.setFilter('all')"
          >
            {{ custom }} ✕
          </button>
        }
      </div>
      <div class="search">
        <input
          #search
          type="search"
          placeholder="Search name, id, command, error…"
          aria-label="Search jobs"
          [value]="store.search()"
          (input)="store.search.set(search.value)"
          (keydown.escape)="clearSearch($event, search)"
        />
        <kbd aria-hidden="true">/</kbd>
      </div>
      <!-- The narrowing filters wrap to a second line together, never one field alone. -->
      <div class="narrowing">
        @if (store.arrayFilter(); as arrayId) {
          <!-- From a job pane's array link (or a link to ?array=): only that array's jobs. -->
          <button
            type="button"
            class="btn btn-sm filter-chip"
            aria-pressed="true"
            [title]="'Showing only the jobs of array ' + arrayId + ': show every job'"
            (click)="store.arrayFilter.set('')"
          >
            array <span class="mono">{{ arrayId }}</span> ✕
          </button>
        }
        <select
          class="narrow-by"
          aria-label="Filter by job type"
          [value]="store.typeFilter()"
          (change)="store.typeFilter.set($any($event.target).value)"
        >
          <option value="">All types</option>
          @for (t of jobTypes(); track t) {
            <option [value]="t" [selected]="store.typeFilter() === t">{{ t }}</option>
          }
        </select>
        <label class="narrow-by">
          <span class="muted">from</span>
          <input
            type="date"
            aria-label="Submitted from"
            [value]="store.submittedFrom()"
            (change)="store.submittedFrom.set($any($event.target).value)"
          />
        </label>
        <label class="narrow-by">
          <span class="muted">to</span>
          <input
            type="date"
            aria-label="Submitted to"
            [value]="store.submittedTo()"
            (change)="store.submittedTo.set($any($event.target).value)"
          />
        </label>
      </div>
      <span class="spacer"></span>
      <button
        type="button"
        class="btn"
        (click)="cleanup().open()"
        title="Delete finished jobs with their logs: all, or those older than an age, of some statuses"
      >
        Clean up finished…
      </button>
      <ty-cleanup-dialog />
    </header>

    <div class="split" #split>
      <div class="list-pane" [style.flex-basis.%]="detailOpen() ? fraction() * 100 : 100">
        @if (store.error(); as error) {
          <div class="banner banner-warn" role="alert">Could not load jobs: {{ error }}</div>
        }
        @if (selection().length) {
          <div class="bulk" role="toolbar" aria-label="Selected jobs">
            <span class="bulk-count">{{ selection().length }} selected</span>
            @if (bulkGroups().cancel.length; as n) {
              <button type="button" class="btn btn-sm" (click)="bulk('cancel')">Cancel {{ n }} queued</button>
            }
            @if (bulkGroups().kill.length; as n) {
              <button type="button" class="btn btn-sm btn-danger" (click)="bulk('kill')">
                Kill {{ n }} running
              </button>
            }
            @if (bulkGroups().remove.length; as n) {
              <button type="button" class="btn btn-sm" (click)="bulk('remove')">
                Delete {{ n }} finished
              </button>
            }
            <button type="button" class="btn btn-sm btn-quiet" (click)="checked.set(empty)">
              Clear selection
            </button>
          </div>
        }
        <table class="table jobs" aria-label="Jobs">
          <thead>
            <tr>
              <th class="c-check">
                <input
                  type="checkbox"
                  aria-label="Select all shown jobs"
                  [checked]="allChecked()"
                  [indeterminate]="selection().length > 0 && !allChecked()"
                  [disabled]="!store.visible().length"
                  (change)="checkAll(!allChecked())"
                />
              </th>
              @for (c of columns; track c.key) {
                <th [class]="c.cls" [attr.aria-sort]="c.sort ? ariaSort(c.sort) : null">
                  @if (c.sort; as by) {
                    <button type="button" class="sort" (click)="store.toggleSort(by)">
                      {{ c.label }}<span class="arrow" aria-hidden="true">{{ arrow(by) }}</span>
                    </button>
                  } @else {
                    {{ c.label }}
                  }
                </th>
              }
              <th class="c-actions"><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody keepFocus>
            @for (job of store.visible(); track job.queue_id) {
              <tr
                [class.selected]="job.queue_id === store.selectedId()"
                [attr.data-job-id]="job.queue_id"
                [attr.aria-selected]="job.queue_id === store.selectedId()"
                [attr.tabindex]="job.queue_id === focusId() ? 0 : -1"
                (click)="select(job, $event)"
                (keydown.enter)="rowKey(job, $event)"
                (keydown.space)="rowKey(job, $event)"
                (contextmenu)="actions.openMenu($event, job)"
              >
                <td class="c-check">
                  <input
                    type="checkbox"
                    [attr.aria-label]="'Select ' + label(job)"
                    [checked]="checked().has(job.queue_id)"
                    (change)="check(job, $any($event.target).checked)"
                  />
                </td>
                @let stopping = stoppingNote(job);
                <td class="c-status">
                  <span
                    class="status"
                    [class]="'status status-' + statusLabel(job)"
                    [title]="stopping ?? (job.held ? 'queued, held by the user' : job.status)"
                    >{{ statusLabel(job) }}</span
                  >
                </td>
                <td class="clip c-name">
                  <span class="name-line">
                    <a
                      class="job-link"
                      [routerLink]="['/jobs', job.queue_id]"
                      queryParamsHandling="preserve"
                      [title]="job.queue_id"
                      >{{ job.name ?? shortId(job.queue_id) }}</a
                    >
                    @if (job.name) {
                      <span class="mono muted id">{{ shortId(job.queue_id) }}</span>
                    }
                  </span>
                  @if (job.trainer_status; as trainer) {
                    <!-- Where the Command column is hidden (narrow), the pills go under the name. -->
                    <ty-trainer-pills class="narrow-pills" [status]="trainer" />
                  }
                  @if (endNote(job, stopping); as note) {
                    <!-- Where the Exit and Error columns are hidden (narrow), how it ended goes under the name. -->
                    <span class="narrow-end" [class.err]="job.status === 'failed'" [title]="note">{{
                      note
                    }}</span>
                  }
                </td>
                <td class="clip c-type">{{ job.job_type }}</td>
                <td class="clip mono cmd c-cmd" [title]="params(job)">
                  @if (job.trainer_status; as trainer) {
                    <ty-trainer-pills [status]="trainer" />
                  } @else {
                    {{ params(job) }}
                  }
                </td>
                @let gpus = gpuText(job);
                <td
                  class="mono clip gpus c-gpus"
                  [class.muted]="job.gpu_indices.length === 0"
                  [title]="gpus.title"
                >
                  {{ gpus.none ? '—' : gpus.text }}
                </td>
                <td class="mono muted c-started" [title]="job.started_at ?? ''">
                  {{ time(job.started_at) }}
                </td>
                <td class="num mono c-runtime">{{ runtime(job) }}</td>
                @let requeued = job.status === 'queued';
                <!-- Queued again after a preemption, its code and error are from the last attempt: no failure to show. -->
                <td
                  class="num mono c-exit"
                  [class.bad]="!requeued && job.exit_code !== null && job.exit_code !== 0"
                  [class.muted]="requeued"
                  [title]="requeued && job.exit_code !== null ? 'exit code of the last attempt' : ''"
                >
                  {{ job.exit_code ?? '' }}
                </td>
                @if (stopping && !job.error) {
                  <td class="clip c-error stopping" [title]="stopping">{{ stopping }}</td>
                } @else if (requeued) {
                  <td class="clip muted c-error" [title]="job.error ?? ''">{{ job.error ?? '' }}</td>
                } @else {
                  <td class="clip err c-error" [title]="job.error ?? ''">{{ job.error ?? '' }}</td>
                }
                <td class="actions c-actions">
                  @if (actions.canKill(job)) {
                    <button
                      type="button"
                      class="btn btn-sm"
                      [disabled]="store.pending().has(job.queue_id)"
                      [attr.aria-label]="'Kill ' + label(job)"
                      (click)="actions.kill(job)"
                    >
                      Kill
                    </button>
                  } @else if (job.status === 'terminating') {
                    <!-- It got its SIGTERM: a second Kill would send nothing. -->
                    <button
                      type="button"
                      class="btn btn-sm btn-danger"
                      [disabled]="store.pending().has(job.queue_id)"
                      [attr.aria-label]="'Force kill ' + label(job)"
                      [title]="stopping ?? ''"
                      (click)="actions.forceKill(job)"
                    >
                      Force kill
                    </button>
                  } @else if (job.status === 'queued') {
                    <button
                      type="button"
                      class="btn btn-sm"
                      [disabled]="store.pending().has(job.queue_id)"
                      [attr.aria-label]="'Cancel ' + label(job)"
                      (click)="actions.cancel(job)"
                    >
                      Cancel
                    </button>
                  } @else if (finished(job)) {
                    <button
                      type="button"
                      class="btn btn-sm btn-quiet"
                      [disabled]="store.pending().has(job.queue_id)"
                      [attr.aria-label]="'Delete ' + label(job)"
                      (click)="actions.remove(job)"
                    >
                      Delete
                    </button>
                  }
                  <button
                    type="button"
                    class="btn btn-ghost btn-icon btn-sm more"
                    aria-haspopup="menu"
                    [attr.aria-label]="'More actions for ' + label(job)"
                    (click)="actions.openMenu($event, job)"
                  >
                    ⋯
                  </button>
                </td>
              </tr>
            }
          </tbody>
        </table>
        @if (!store.visible().length) {
          <!-- Outside the table: a colspan row would widen it past its header where columns hide. -->
          @if (store.loading()) {
            <p class="muted loading">Loading jobs…</p>
          } @else if (store.error()) {
            <!-- Not "no jobs yet": they could not be read (the banner above says why). -->
            <p class="muted loading">The jobs could not be read.</p>
          } @else if (store.filtered()) {
            <div class="empty">
              <p class="empty-title">{{ noMatch() }}</p>
              <p>
                <button type="button" class="btn btn-sm" (click)="store.clearFilters()">Clear filters</button>
              </p>
            </div>
          } @else {
            <div class="empty">
              <p class="empty-title">No jobs yet</p>
              <p class="muted">
                <button type="button" class="link" (click)="launcher.show()">Submit a job</button>
                (<kbd>n</kbd>) and it shows up here.
              </p>
            </div>
          }
        }
        @if (store.hasMore()) {
          <div class="more-row">
            <button type="button" class="btn btn-sm" (click)="store.showMore()">Show more</button>
          </div>
        }
      </div>

      @if (detailOpen()) {
        <div
          class="divider"
          role="separator"
          tabindex="0"
          aria-orientation="horizontal"
          aria-label="Resize the log pane"
          aria-valuemin="15"
          aria-valuemax="80"
          [attr.aria-valuenow]="round(fraction() * 100)"
          (pointerdown)="startDrag($event)"
          (keydown)="resizeKey($event)"
          (dblclick)="setFraction(0.42)"
        ></div>
      }
      <div class="detail-pane" [class.open]="detailOpen()">
        <router-outlet (activate)="detailOpen.set(true)" (deactivate)="detailOpen.set(false)" />
      </div>
    </div>
  `,
  styles: `
    :host {
      display: flex;
      flex-direction: column;
      height: 100%;
      min-height: 0;
    }
    .summary {
      font-size: 12px;
      min-width: 90px;
    }
    /* The search gives up some width before it wraps to a line of its own (800 px window). */
    .search {
      position: relative;
      flex: 1 1 180px;
      max-width: 260px;
    }
    .search input {
      width: 100%;
      height: 28px;
      padding: 0 26px 0 9px;
    }
    .search kbd {
      position: absolute;
      right: 6px;
      top: 5px;
      pointer-events: none;
    }
    .split {
      flex: 1;
      min-height: 0;
      display: flex;
      flex-direction: column;
    }
    .list-pane {
      flex-grow: 0;
      flex-shrink: 1;
      min-height: 80px;
      overflow: auto;
      border-top: 1px solid var(--border);
      container-type: inline-size;
    }
    /* Column widths (fixed layout reads them from the header); the job name takes what is left. */
    .c-check {
      width: 32px;
    }
    .narrowing {
      display: inline-flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 10px;
    }
    .narrow-by {
      display: inline-flex;
      align-items: center;
      gap: 0.3rem;
    }
    @container (max-width: 860px) {
      label.narrow-by {
        display: none;
      }
    }
    /* Wide enough for the longest status ("terminating"); the pill never spills into the name. */
    .c-status {
      width: 116px;
    }
    .c-status .status {
      max-width: 100%;
      overflow: hidden;
    }
    .c-status .status::before {
      flex: none;
    }
    .c-type {
      width: 84px;
    }
    .c-cmd {
      width: 24%;
    }
    .c-gpus {
      width: 76px;
    }
    .c-started {
      width: 76px;
    }
    .c-runtime {
      width: 72px;
    }
    .c-exit {
      width: 44px;
    }
    .c-error {
      width: 18%;
    }
    .c-actions {
      width: 124px;
    }
    /*
     * Narrow: the job name keeps its room; the least needed columns go first. Type and command go,
     * then exit and error (how a job ended goes under the name), then the row's buttons (⋯ has every
     * action), started and runtime. Status, name and GPUs stay at every width.
     */
    @container (max-width: 1500px) {
      .c-type {
        display: none;
      }
    }
    .narrow-pills,
    .narrow-end {
      display: none;
    }
    @container (max-width: 1200px) {
      .c-cmd {
        display: none;
      }
      .narrow-pills {
        display: block;
      }
    }
    @container (max-width: 1000px) {
      .c-exit,
      .c-error {
        display: none;
      }
      .narrow-end {
        display: block;
      }
    }
    @container (max-width: 860px) {
      .c-actions .btn:not(.more) {
        display: none;
      }
      .c-actions {
        width: 44px;
      }
    }
    @container (max-width: 720px) {
      .c-started {
        display: none;
      }
    }
    @container (max-width: 560px) {
      .c-runtime {
        display: none;
      }
      /* The status as its coloured dot (the word stays for screen readers and in the tooltip). */
      .c-status {
        width: 34px;
      }
      .c-status .status {
        font-size: 0;
        gap: 0;
      }
      /* Its header too: "Status" cut to "STAT" in 34 px said nothing (screen readers still read it). */
      th.c-status {
        font-size: 0;
      }
    }
    .narrow-end {
      font-size: 11px;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .jobs tbody tr:focus-visible {
      outline: 2px solid var(--accent);
      outline-offset: -2px;
    }
    .loading {
      padding: 12px;
    }
    th .sort {
      all: unset;
      cursor: pointer;
      display: inline-flex;
      gap: 3px;
      align-items: center;
    }
    th .sort:focus-visible {
      outline: 2px solid var(--accent);
      outline-offset: 2px;
    }
    th .arrow {
      min-width: 8px;
    }
    .c-check input {
      margin: 0;
      vertical-align: middle;
    }
    .bulk {
      position: sticky;
      top: 0;
      z-index: 2;
      display: flex;
      align-items: center;
      gap: 8px;
      flex-wrap: wrap;
      padding: 6px 8px;
      background: var(--surface);
      border-bottom: 1px solid var(--border);
    }
    .bulk-count {
      font-weight: 600;
      margin-right: 4px;
    }
    .detail-pane {
      display: none;
      flex: 1;
      min-height: 0;
    }
    .detail-pane.open {
      display: flex;
      flex-direction: column;
    }
    .divider {
      flex: none;
      height: 7px;
      cursor: row-resize;
      background: var(--surface);
      border-top: 1px solid var(--border);
      border-bottom: 1px solid var(--border);
      position: relative;
    }
    .divider::after {
      content: '';
      position: absolute;
      left: 50%;
      top: 2px;
      width: 36px;
      height: 1px;
      margin-left: -18px;
      box-shadow: 0 0 0 0.5px var(--text-muted);
    }
    .divider:hover,
    .divider:focus-visible {
      background: color-mix(in srgb, var(--accent) 30%, var(--surface));
    }
    .jobs {
      border: 0;
    }
    .jobs thead th {
      position: sticky;
      top: 0;
      z-index: 1;
    }
    .jobs tbody tr {
      cursor: pointer;
    }
    .cmd {
      color: var(--text-muted);
    }
    .err {
      color: var(--danger);
    }
    .stopping {
      color: var(--warn);
    }
    .bad {
      color: var(--danger);
      font-weight: 600;
    }
    .more {
      width: 24px;
    }
  `,
})
export class JobsPageComponent {
  protected readonly store = inject(JobsStore);
  /** Job type names for the type filter (GET /api/job-types). */
  protected readonly jobTypes = signal<string[]>([]);
  protected readonly actions = inject(JobActions);
  protected readonly launcher = inject(SubmitLauncher);
  private readonly clock = inject(Clock);
  private readonly router = inject(Router);
  private readonly menu = inject(ContextMenuStore);
  private readonly confirm = inject(ConfirmStore);
  private readonly api = inject(API);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly splitEl = viewChild.required<ElementRef<HTMLElement>>('split');
  private readonly searchEl = viewChild.required<ElementRef<HTMLInputElement>>('search');
  protected readonly cleanup = viewChild.required(CleanupDialogComponent);
  /** j/k over the table's rows (see move). */
  private readonly rows = new RowNav(this.host.nativeElement, 'data-job-id');

  protected readonly filters: { value: StatusFilter; label: string }[] = [
    { value: 'all', label: 'All' },
    { value: 'active', label: 'Active' },
    { value: 'held', label: 'Held' },
    { value: 'done', label: 'Done' },
    { value: 'failed', label: 'Failed' },
    { value: 'aborted', label: 'Aborted' },
  ];
  /** A status filter from a link that no button stands for (`queued, running`), or null. */
  protected readonly customStatuses = computed(() => {
    const filter = this.store.statusFilter();
    return this.filters.some((f) => f.value === filter) ? null : filter.split(',').join(', ');
  });
  protected readonly detailOpen = signal(false);
  protected readonly fraction = signal(clamp(readStored(SPLIT_KEY, 0.42)));
  protected readonly shortId = shortId;
  protected readonly statusLabel = statusLabel;
  protected readonly time = formatTime;
  protected readonly finished = (job: JobDto) => isFinished(job.status);
  protected readonly stoppingNote = stoppingNote;
  protected readonly gpuText = formatGpus;
  /** The row in the tab order (roving tabindex): the selected one, else the first. */
  protected readonly focusId = computed(() => {
    const list = this.store.visible();
    const id = this.store.selectedId();
    return list.some((j) => j.queue_id === id) ? id : (list[0]?.queue_id ?? null);
  });
  /** Why the list is empty, naming every filter in force. */
  protected readonly noMatch = computed(() =>
    noMatchMessage({
      filter: this.store.statusFilter(),
      q: this.store.query().trim(),
      type: this.store.typeFilter(),
      from: this.store.submittedFrom(),
      to: this.store.submittedTo(),
      array: this.store.arrayFilter(),
    }),
  );
  protected readonly label = (job: JobDto) => job.name ?? job.queue_id;
  /** `exit 1 · the error`, or the stopping note: the Exit and Error columns in one line; null: none. */
  protected endNote(job: JobDto, stopping: string | null): string | null {
    if (job.status === 'queued') return null; // requeued: its code and error are the last attempt's
    const parts = [
      job.exit_code !== null ? `exit ${job.exit_code}` : null,
      job.error ?? (job.status === 'terminating' ? stopping : null),
    ];
    return parts.filter(Boolean).join(' · ') || null;
  }
  protected readonly round = Math.round;

  /** The columns after the checkbox; `sort` makes the header a sort button. */
  protected readonly columns: { key: string; label: string; cls: string; sort?: JobSort }[] = [
    { key: 'status', label: 'Status', cls: 'c-status', sort: 'status' },
    { key: 'name', label: 'Job', cls: 'c-name', sort: 'name' },
    { key: 'type', label: 'Type', cls: 'c-type', sort: 'job_type' },
    { key: 'cmd', label: 'Command', cls: 'c-cmd' },
    { key: 'gpus', label: 'GPUs', cls: 'c-gpus' },
    { key: 'started', label: 'Started', cls: 'c-started', sort: 'started_at' },
    { key: 'runtime', label: 'Runtime', cls: 'c-runtime num', sort: 'runtime' },
    { key: 'exit', label: 'Exit', cls: 'c-exit num' },
    { key: 'error', label: 'Error', cls: 'c-error' },
  ];

  /** `total` counts every match on the server, not only the rows loaded. */
  protected readonly summary = computed(() => {
    const total = this.store.total();
    if (this.store.loading() && total === 0) return 'Loading…';
    return this.store.filtered() ? `${total} matching` : `${total} job${total === 1 ? '' : 's'}`;
  });

  protected readonly empty: ReadonlySet<string> = new Set();
  /** Ids ticked in the checkbox column. */
  protected readonly checked = signal<ReadonlySet<string>>(this.empty);
  /** The ticked jobs still shown (a search or a deletion may have taken some away). */
  protected readonly selection = computed(() => {
    const ids = this.checked();
    return ids.size ? this.store.visible().filter((j) => ids.has(j.queue_id)) : [];
  });
  protected readonly allChecked = computed(
    () => this.store.visible().length > 0 && this.selection().length === this.store.visible().length,
  );
  /** What each bulk action would act on. */
  protected readonly bulkGroups = computed(() => {
    const jobs = this.selection();
    return {
      cancel: jobs.filter((j) => j.status === 'queued'),
      kill: jobs.filter((j) => this.actions.canKill(j)),
      remove: jobs.filter((j) => isFinished(j.status)),
    };
  });

  constructor() {
    // Search, status filter and sort live in the query string: a reload or a shared link keeps them.
    this.store.restore(listStateFromQuery(inject(ActivatedRoute).snapshot.queryParams, defaultOrder));
    listJobTypes({ client: this.api })
      .then(({ data }) => this.jobTypes.set(data.map((t) => t.name)))
      .catch(() => undefined); // the filter then offers "All types" only
    effect(() => {
      const params = listStateToQuery({
        filter: this.store.statusFilter(),
        q: this.store.query(),
        sort: this.store.sort(),
        type: this.store.typeFilter(),
        from: this.store.submittedFrom(),
        to: this.store.submittedTo(),
        array: this.store.arrayFilter(),
      });
      untracked(() => this.writeQuery(params));
    });
    const onKey = (event: KeyboardEvent) => this.onKey(event);
    document.addEventListener('keydown', onKey);
    inject(DestroyRef).onDestroy(() => {
      this.destroyed = true;
      document.removeEventListener('keydown', onKey);
    });
  }

  private destroyed = false;
  /** The newest list state not yet in the URL, while a navigation under way holds it back. */
  private heldQuery: Record<string, string | null> | null = null;

  /**
   * Puts the list state into the current URL (replacing the history entry; the pane stays open).
   * While a navigation is under way the newest state waits for it to end: navigating now would
   * cancel it (a search cleared just before `g q` kept the user on this page), and once the page is
   * left there is no URL of its own to write.
   */
  private writeQuery(params: Record<string, string | null>): void {
    if (this.destroyed) return;
    if (untracked(this.router.currentNavigation)) {
      const waiting = this.heldQuery !== null;
      this.heldQuery = params;
      if (!waiting)
        this.router.events
          .pipe(
            first(
              (e) =>
                e instanceof NavigationEnd || e instanceof NavigationCancel || e instanceof NavigationError,
            ),
          )
          // After the event: the router clears its current navigation once its listeners have run.
          .subscribe(() =>
            setTimeout(() => {
              const held = this.heldQuery;
              this.heldQuery = null;
              if (held) this.writeQuery(held);
            }),
          );
      return;
    }
    const tree = this.router.parseUrl(this.router.url);
    const next: Record<string, string> = { ...tree.queryParams };
    for (const [key, value] of Object.entries(params)) {
      if (value === null) delete next[key];
      else next[key] = value;
    }
    if (JSON.stringify(next) === JSON.stringify(tree.queryParams)) return;
    tree.queryParams = next;
    void this.router.navigateByUrl(tree, { replaceUrl: true });
  }

  /** Opens a job's pane (or closes it, with null), keeping the list's query string. */
  /** Where the last j/k is going while its navigation is under way (see move). */
  private moving: string | null = null;

  private open(id: string | null): void {
    void this.router.navigate(id ? ['/jobs', id] : ['/jobs'], { queryParamsHandling: 'preserve' });
  }

  protected ariaSort(by: JobSort): 'ascending' | 'descending' | 'none' {
    const sort = this.store.sort();
    return sort?.by !== by ? 'none' : sort.order === 'asc' ? 'ascending' : 'descending';
  }

  protected arrow(by: JobSort): string {
    const sort = this.store.sort();
    return sort?.by !== by ? '' : sort.order === 'asc' ? '▲' : '▼';
  }

  protected check(job: JobDto, on: boolean): void {
    const next = new Set(this.checked());
    if (on) next.add(job.queue_id);
    else next.delete(job.queue_id);
    this.checked.set(next);
  }

  protected checkAll(on: boolean): void {
    this.checked.set(on ? new Set(this.store.visible().map((j) => j.queue_id)) : this.empty);
  }

  /** One confirmation naming every job, then the action on each; a single job is asked about as one. */
  protected async bulk(kind: BulkKind): Promise<void> {
    const jobs = this.bulkGroups()[kind];
    if (!jobs.length) return;
    if (jobs.length === 1) {
      const [job] = jobs;
      const done =
        kind === 'kill'
          ? await this.actions.kill(job)
          : kind === 'cancel'
            ? await this.actions.cancel(job)
            : await this.actions.remove(job);
      if (done) this.checked.set(this.empty);
      return;
    }
    const { verb, message } = BULK[kind];
    const n = `${jobs.length} jobs`;
    const warning = kind === 'remove' ? '' : await abortedDependentsNote(this.api, jobs);
    const ok = await this.confirm.ask({
      title: kind === 'cancel' ? `Remove ${n} from the queue?` : `${verb} ${n}?`,
      message: message(jobs.length),
      ...(warning && { warning }),
      detailColumns: ['Job', 'Status', 'Runtime'],
      details: jobs.map((j) => [this.label(j), statusLabel(j), this.runtime(j)]),
      confirmLabel: kind === 'cancel' ? 'Remove from queue' : `${verb} ${n}`,
      ...(kind === 'cancel' && { dismissLabel: 'Keep' }),
      danger: true,
    });
    if (!ok) return;
    await this.store.bulk(jobs, kind);
    this.checked.set(this.empty);
  }

  protected params(job: JobDto): string {
    return describeParams(job.job_type, job.job_params);
  }

  protected runtime(job: JobDto): string {
    return jobRuntime(job, this.clock.now());
  }

  protected select(job: JobDto, event: MouseEvent): void {
    const target = event.target as HTMLElement;
    if (target.closest('button, a, input') || window.getSelection()?.toString()) return;
    const open = this.store.selectedId() === job.queue_id;
    this.open(open ? null : job.queue_id);
  }

  /** Enter or Space on a focused row opens its pane (or closes it, as a click does). */
  protected rowKey(job: JobDto, event: Event): void {
    if (event.target !== event.currentTarget) return; // a button or checkbox in the row has its own
    event.preventDefault();
    const open = this.store.selectedId() === job.queue_id;
    this.open(open ? null : job.queue_id);
  }

  protected clearSearch(event: Event, input: HTMLInputElement): void {
    event.stopPropagation();
    if (input.value) this.store.search.set('');
    else input.blur();
  }

  protected setFraction(value: number): void {
    this.fraction.set(clamp(value));
    writeStored(SPLIT_KEY, this.fraction());
  }

  protected startDrag(event: PointerEvent): void {
    event.preventDefault();
    const divider = event.target as HTMLElement;
    divider.setPointerCapture(event.pointerId);
    const rect = this.splitEl().nativeElement.getBoundingClientRect();
    const move = (e: PointerEvent) => this.fraction.set(clamp((e.clientY - rect.top) / rect.height));
    const up = () => {
      divider.removeEventListener('pointermove', move);
      divider.removeEventListener('pointerup', up);
      divider.removeEventListener('pointercancel', up);
      writeStored(SPLIT_KEY, this.fraction());
    };
    divider.addEventListener('pointermove', move);
    divider.addEventListener('pointerup', up);
    divider.addEventListener('pointercancel', up);
  }

  protected resizeKey(event: KeyboardEvent): void {
    const step = event.shiftKey ? 0.1 : 0.03;
    if (event.key === 'ArrowUp') this.setFraction(this.fraction() - step);
    else if (event.key === 'ArrowDown') this.setFraction(this.fraction() + step);
    else return;
    event.preventDefault();
  }

  private onKey(event: KeyboardEvent): void {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event)) return;
    if (document.querySelector('dialog[open]') || this.menu.menu()) return;
    const delta = rowStep(event, this.host.nativeElement.querySelector('tbody'));
    if (delta) {
      event.preventDefault();
      this.move(delta);
      return;
    }
    switch (event.key) {
      case '/':
        event.preventDefault();
        this.searchEl().nativeElement.focus();
        this.searchEl().nativeElement.select();
        break;
      case 'Escape': {
        const id = this.store.selectedId();
        if (id) {
          event.preventDefault();
          this.open(null);
          // Focus was in the pane (its log, its buttons), which goes away: back to the job's row.
          this.rows.focus(id);
        }
        break;
      }
    }
  }

  private move(delta: number): void {
    // From the row the last j/k went to while its navigation is still under way (pressed twice
    // quickly, j moves two rows, not one), else the open job's, else the focused row (its pane
    // closed with Enter or Escape).
    const from = this.moving ?? this.store.selectedId() ?? this.rows.focusedId();
    const next = stepRow(
      this.store.visible().map((j) => j.queue_id),
      from,
      delta,
    );
    if (next === null) return;
    this.moving = next;
    void this.router.navigate(['/jobs', next], { queryParamsHandling: 'preserve' }).finally(() => {
      if (this.moving === next) this.moving = null;
    });
    // Focus follows the selection, so Enter/Space and screen readers act on the row shown selected.
    this.rows.focus(next);
  }
}

function clamp(value: number): number {
  return Number.isFinite(value) ? Math.min(MAX_FRACTION, Math.max(MIN_FRACTION, value)) : 0.42;
}
