import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  computed,
  effect,
  inject,
  signal,
  untracked,
  type WritableSignal,
} from '@angular/core';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import {
  type ListRunsPageData,
  type RunDetailDto,
  type RunDto,
  type StringPointOutDto,
  deleteRun,
  getRun,
  listRunsPage,
  stringSeries,
} from '@trainyard/sdk';
import { API, errorMessage, isStatus } from '../core/api';
import { ConfirmStore } from '../core/confirm.store';
import { formatTime } from '../core/format';
import { NewestAnswer } from '../core/newest-answer';
import { startPolling } from '../core/poll';
import type { ChartRun } from './metric-chart.component';
import { chartLabels } from './run-series';
import { KeepFocusDirective } from '../shared/keep-focus.directive';
import { RunChartsComponent } from './run-charts.component';

const LIST_POLL_MS = 5000;
/**
 * Rows read and drawn at first, and added by each "Show more": a sweep leaves thousands of runs, and
 * drawing all of them (10,000: ~15 s before the first row showed, and every filter keystroke re-drew
 * them) froze the page; reading them all every 5 s (2 MB of JSON at 10,000) kept the server busy.
 */
const ROWS_STEP = 200;
/** The most runs one `GET /api/runs/page` answers with. */
const PAGE_MAX = 1000;
type RunStatus = NonNullable<NonNullable<ListRunsPageData['query']>['status']>;
/** Typing in the filter searches once it pauses this long. */
const SEARCH_DELAY_MS = 250;
const STRINGS_TAIL = 50;

/**
 * Runs (Trainyard's and imported goodseed files): a filterable table; a row opens the run — its
 * charts, configs and the tail of its string series — and ticked rows are overlaid on its charts
 * for comparison. The open run and the compared ones live in the URL (`?run=&compare=`).
 */
@Component({
  selector: 'ty-runs-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink, RunChartsComponent, KeepFocusDirective],
  template: `
    <header class="head">
      <h1>Runs</h1>
      <input
        type="search"
        placeholder="Filter name or project"
        aria-label="Filter runs by name or project"
        [value]="text()"
        (input)="filterBy(text, $any($event.target).value)"
      />
      <select aria-label="Status" [value]="status()" (change)="filterBy(status, $any($event.target).value)">
        <option value="">any status</option>
        <option value="running">running</option>
        <option value="finished">finished</option>
        <option value="failed">failed</option>
        <option value="aborted">aborted</option>
      </select>
      <select aria-label="Source" [value]="source()" (change)="filterBy(source, $any($event.target).value)">
        <option value="">any source</option>
        <option value="trainyard">native</option>
        <option value="goodseed">goodseed</option>
      </select>
      <label class="with-empty" title="Every job gets a run; most plain commands log nothing to theirs">
        <input
          type="checkbox"
          [checked]="withEmpty()"
          (change)="filterBy(withEmpty, $any($event.target).checked)"
        />
        Runs with nothing logged
      </label>
      @if (error(); as e) {
        <span class="bad" role="alert">{{ e }}</span>
      }
    </header>
    <div class="table-wrap" [class.with-detail]="openRun()">
      <table class="runs">
        <thead>
          <tr>
            <th scope="col" class="c-check"><span class="sr-only">Compare</span></th>
            <th scope="col" class="c-name">Name</th>
            <th scope="col" class="c-project">Project</th>
            <th scope="col" class="c-job">Job</th>
            <th scope="col" class="c-status">Status</th>
            <th scope="col" class="c-started">Started</th>
            <th scope="col" class="c-source">Source</th>
          </tr>
        </thead>
        <tbody keepFocus>
          @for (run of rows(); track run.run_id) {
            <tr [class.open]="run.run_id === openId()" [attr.data-run-id]="run.run_id">
              <td>
                <input
                  type="checkbox"
                  [attr.aria-label]="'Compare ' + label(run)"
                  [checked]="run.run_id === openId() || compare().includes(run.run_id)"
                  [disabled]="run.run_id === openId()"
                  (change)="toggleCompare(run.run_id)"
                />
              </td>
              <td class="c-name" [title]="label(run)">
                <a [routerLink]="[]" [queryParams]="{ run: run.run_id }" queryParamsHandling="merge">{{
                  label(run)
                }}</a>
              </td>
              <td class="c-project" [title]="run.project ?? ''">{{ run.project ?? '—' }}</td>
              <td class="c-job" [title]="run.job_id ?? ''">
                @if (run.job_id) {
                  <a class="mono" [routerLink]="['/jobs', run.job_id]">{{ run.job_id }}</a>
                } @else {
                  —
                }
              </td>
              <td class="c-status">
                <span class="status" [attr.data-status]="run.status">{{ run.status }}</span>
              </td>
              <td class="c-started" [title]="run.created_at ?? ''">{{ time(run.created_at) }}</td>
              <td class="c-source">{{ run.source === 'goodseed' ? 'goodseed' : 'native' }}</td>
            </tr>
          } @empty {
            <tr>
              <td colspan="7" class="muted">
                {{
                  !loaded()
                    ? 'Loading runs…'
                    : listFailed()
                      ? 'The runs could not be read.'
                      : filtered()
                        ? 'No runs match.'
                        : withEmpty()
                          ? 'No runs yet.'
                          : 'Nothing logged to any run yet (tick “Runs with nothing logged” to see every job’s run).'
                }}
              </td>
            </tr>
          }
        </tbody>
      </table>
      @if (total() > rows().length) {
        <div class="more-row">
          <span class="muted">Showing {{ rows().length }} of {{ total() }}</span>
          <button type="button" class="btn btn-sm" (click)="showMore()">Show more</button>
        </div>
      }
    </div>

    @if (openRun(); as run) {
      <section class="detail" [attr.aria-label]="'Run ' + label(run)">
        <h2>
          {{ label(run) }} <span class="muted mono">{{ run.run_id }}</span>
          @if (run.job_id) {
            <a class="job mono" [routerLink]="['/jobs', run.job_id]" title="The job that logged it">{{
              run.job_id
            }}</a>
          }
          @if (compareRuns().length) {
            <span class="muted"> vs {{ compareRuns().length }} more</span>
          }
          @if (run.source === 'trainyard') {
            <button
              type="button"
              class="btn btn-sm btn-danger delete"
              [disabled]="!!run.job_id && run.status === 'running'"
              [attr.title]="
                run.job_id && run.status === 'running'
                  ? 'Its job is still running: it may still log to it'
                  : null
              "
              (click)="deleteRun(run)"
            >
              Delete run
            </button>
          }
        </h2>
        @if (deleteError(); as e) {
          <p class="bad" role="alert">{{ e }}</p>
        }
        <ty-run-charts [runs]="chartRuns()" />
        <div class="side">
          <div>
            <h3>Configs</h3>
            @if (configTable(); as table) {
              <!-- Compared runs: a column each, the rows where they differ marked. -->
              <div class="kv-scroll">
                <table class="kv mono compare" aria-label="Configs of the compared runs">
                  <thead>
                    <tr>
                      <td></td>
                      @for (name of table.runs; track $index) {
                        <th scope="col">{{ name }}</th>
                      }
                    </tr>
                  </thead>
                  <tbody>
                    @for (row of table.rows; track row.path) {
                      <tr
                        [class.differs]="row.differs"
                        [attr.title]="row.differs ? 'differs between the runs' : null"
                      >
                        <th scope="row">{{ row.path }}</th>
                        @for (value of row.values; track $index) {
                          <td>{{ value }}</td>
                        }
                      </tr>
                    }
                  </tbody>
                </table>
              </div>
            } @else if (detail()?.configs?.length) {
              <div class="kv-scroll">
                <table class="kv mono">
                  <tbody>
                    @for (c of detail()!.configs; track c.path) {
                      <tr>
                        <th scope="row">{{ c.path }}</th>
                        <td [title]="c.type_tag">{{ show(c.value) }}</td>
                      </tr>
                    }
                  </tbody>
                </table>
              </div>
            } @else {
              <p class="muted">No configs.</p>
            }
          </div>
          <div>
            <h3>
              Strings
              @if (!comparing()) {
                <span class="muted">(last {{ strings().length }} of {{ stringsTotal() }})</span>
              }
            </h3>
            <!-- Compared runs: each run's strings under its name, the open one first. -->
            @for (block of stringBlocks(); track $index) {
              @if (block.label !== null) {
                <h4 class="strings-of">
                  {{ block.label }}
                  <span class="muted">(last {{ block.points.length }} of {{ block.total }})</span>
                </h4>
              }
              @if (block.points.length) {
                <pre
                  class="strings mono"
                >@for (s of block.points; track $index) {<span class="muted">{{ s.path }}@{{ s.step }}</span> {{ s.value }}
}</pre>
              } @else {
                <p class="muted">No strings.</p>
              }
            }
          </div>
        </div>
      </section>
    }
  `,
  styles: `
    /* The page's height is the table's: no small scroll box inside an empty page. */
    :host {
      display: flex;
      flex-direction: column;
      flex: 1 1 auto;
      min-height: 0;
      padding: 12px 16px;
      overflow: auto;
      box-sizing: border-box;
    }
    .head {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 8px;
      margin-bottom: 8px;
    }
    h1 {
      font-size: 18px;
      margin: 0 8px 0 0;
    }
    .with-empty {
      display: flex;
      align-items: center;
      gap: 4px;
      font-size: 12px;
      color: var(--text-muted);
    }
    .table-wrap {
      flex: 1 1 auto;
      min-height: 120px;
      overflow: auto;
      container-type: inline-size;
      border: 1px solid var(--border);
      border-radius: 6px;
    }
    /* With a run open the table leaves the page to its charts. */
    .table-wrap.with-detail {
      flex: none;
      max-height: 40vh;
    }
    /* Fixed columns: a long name or project is cut (its cell's title has it whole), never pushing
       the status and start off the screen. */
    table.runs {
      width: 100%;
      table-layout: fixed;
      border-collapse: collapse;
      font-size: 12px;
    }
    .runs th,
    .runs td {
      text-align: left;
      padding: 4px 8px;
      border-bottom: 1px solid var(--border);
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .runs .c-check {
      width: 32px;
    }
    .runs .c-project {
      width: 18%;
    }
    .runs .c-job {
      width: 210px;
    }
    .runs .c-status {
      width: 90px;
    }
    .runs .c-started {
      width: 80px;
    }
    .runs .c-source {
      width: 80px;
    }
    /*
     * Narrow: the run's name (the link that opens it) keeps its room; the least needed columns go
     * first: the source, then the job (the open run names it), then the start time. At 600 px the
     * fixed Job column left the name 0 px.
     */
    @container (max-width: 900px) {
      .runs .c-source {
        display: none;
      }
      .runs .c-job {
        width: 150px;
      }
    }
    @container (max-width: 700px) {
      .runs .c-job {
        display: none;
      }
      .runs .c-project {
        width: 25%;
      }
    }
    @container (max-width: 420px) {
      .runs .c-started {
        display: none;
      }
    }
    .runs thead th {
      position: sticky;
      top: 0;
      background: var(--surface);
    }
    tr.open {
      background: var(--accent-bg, rgba(78, 121, 167, 0.12));
    }
    .status[data-status='running'] {
      color: var(--accent);
    }
    .status[data-status='failed'] {
      color: var(--danger);
    }
    .detail h2 {
      font-size: 15px;
      margin: 14px 0 4px;
    }
    .detail h2 .job {
      font-size: 12px;
      font-weight: normal;
      margin-left: 8px;
    }
    .detail h2 .delete {
      margin-left: 12px;
      vertical-align: middle;
    }
    .side {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(320px, 1fr));
      gap: 16px;
      margin-top: 12px;
    }
    /* A grid item is as wide as its content unless told otherwise: a wide table pushed past the page. */
    .side > div {
      min-width: 0;
    }
    /* Many compared runs make a table far wider than its column: it scrolls in its own box. */
    .kv-scroll {
      max-width: 100%;
      overflow-x: auto;
    }
    h3 {
      font-size: 13px;
      margin: 0 0 4px;
    }
    .kv {
      font-size: 12px;
      border-collapse: collapse;
    }
    .kv th {
      text-align: left;
      font-weight: 500;
      color: var(--text-muted);
      padding: 1px 12px 1px 0;
    }
    .compare thead th {
      text-align: left;
      font-weight: 600;
      padding: 1px 12px 1px 0;
    }
    .compare td {
      padding: 1px 12px 1px 0;
    }
    .compare tr.differs td,
    .compare tr.differs th {
      color: var(--warn);
    }
    .strings-of {
      margin: 10px 0 4px;
      font-size: 12px;
      font-weight: 600;
      overflow-wrap: anywhere;
    }
    .strings {
      font-size: 12px;
      max-height: 240px;
      overflow: auto;
      margin: 0;
      white-space: pre-wrap;
    }
    .bad {
      color: var(--danger);
    }
    .more-row {
      display: flex;
      justify-content: center;
      align-items: center;
      gap: 12px;
      padding: 8px;
      font-size: 12px;
    }
  `,
})
export class RunsPageComponent {
  private readonly api = inject(API);
  /** The list and the open run reload on a poll and after actions: their newest answers win. */
  private readonly listAnswers = new NewestAnswer();
  private readonly detailAnswers = new NewestAnswer();
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);
  private readonly confirm = inject(ConfirmStore);

  /** The first `rowLimit` runs that match the filters, newest first, and how many match in all. */
  protected readonly runs = signal<RunDto[]>([]);
  protected readonly total = signal(0);
  protected readonly loaded = signal(false);
  protected readonly error = signal<string | null>(null);
  /** Why the last Delete run was refused (e.g. its job has not ended); cleared when another run opens. */
  protected readonly deleteError = signal<string | null>(null);
  protected readonly text = signal('');
  protected readonly status = signal('');
  protected readonly source = signal('');
  /** The last read of the list failed (its error is shown): an empty table is not "no runs". */
  protected readonly listFailed = signal(false);
  /** Also the runs nothing was logged to (every job gets a run; most plain commands log nothing). */
  protected readonly withEmpty = signal(false);
  protected readonly openId = signal<string | null>(null);
  protected readonly compare = signal<string[]>([]);
  protected readonly detail = signal<RunDetailDto | null>(null);
  /** The compared runs' details (their configs), in the order they are compared. */
  private readonly compareDetails = signal<RunDetailDto[]>([]);
  protected readonly strings = signal<StringPointOutDto[]>([]);
  protected readonly stringsTotal = signal(0);
  /** The compared runs' last strings, in the order they are compared. */
  private readonly compareTails = signal<{ run_id: string; points: StringPointOutDto[]; total: number }[]>(
    [],
  );

  /** How many runs are read and drawn (a step more per "Show more"; back to one step when a filter changes). */
  private readonly rowLimit = signal(ROWS_STEP);
  protected readonly rows = this.runs.asReadonly();
  private readonly byId = computed(() => new Map(this.runs().map((r) => [r.run_id, r])));
  /** The open run: from the list, or (when the filters or the page leave it out) from its own read. */
  protected readonly openRun = computed<RunDto | null>(() => {
    const id = this.openId();
    const detail = this.detail();
    return this.byId().get(id ?? '') ?? (detail && detail.run_id === id ? detail : null);
  });
  /** The compared runs (the URL's ids but the open one), each as fresh as the list or its own read. */
  private readonly comparedIds = computed(() => this.compare().filter((id) => id !== this.openId()));
  protected readonly compareRuns = computed(() =>
    this.comparedIds()
      .map((id) => this.byId().get(id) ?? this.compareDetails().find((d) => d.run_id === id))
      .filter((r): r is RunDto => !!r),
  );
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  protected readonly filtered = computed(() => !!(this.text().trim() || this.status() || this.source()));
  protected readonly chartRuns = computed<ChartRun[]>(() => {
    const open = this.openRun();
    const runs = open ? [open, ...this.compareRuns()] : [];
    const labels = chartLabels(runs);
    return runs.map((r, i) => ({ run_id: r.run_id, label: labels[i], live: r.status === 'running' }));
  });
  /**
   * With runs to compare, their configs side by side: a column per run (the open one first), a row
   * per config path any of them has, marked where the values differ; null with none to compare.
   */
  protected readonly configTable = computed(() => {
    const open = this.detail();
    const others = this.compareDetails();
    if (!open || !others.length) return null;
    const runs = [open, ...others];
    const byRun = runs.map((r) => new Map(r.configs.map((c) => [c.path, this.show(c.value)])));
    const paths = [...new Set(runs.flatMap((r) => r.configs.map((c) => c.path)))];
    return {
      runs: chartLabels(runs),
      rows: paths.map((path) => {
        const values = byRun.map((m) => m.get(path) ?? '—');
        return { path, values, differs: new Set(values).size > 1 };
      }),
    };
  });
  /** Runs are compared with the open one (their details are in). */
  protected readonly comparing = computed(() => !!this.detail() && this.compareDetails().length > 0);
  /**
   * The strings shown: the open run's; with runs to compare, each one's under its label (the open
   * run first).
   */
  protected readonly stringBlocks = computed(() => {
    const open = { points: this.strings(), total: this.stringsTotal() };
    if (!this.comparing()) return [{ label: null, ...open }];
    const others = this.compareDetails();
    const tails = new Map(this.compareTails().map((t) => [t.run_id, t]));
    const labels = chartLabels([this.detail()!, ...others]);
    return [
      { label: labels[0], ...open },
      ...others.map((run, i) => ({
        label: labels[i + 1],
        points: tails.get(run.run_id)?.points ?? [],
        total: tails.get(run.run_id)?.total ?? 0,
      })),
    ];
  });
  protected readonly time = formatTime;

  constructor() {
    this.route.queryParamMap.subscribe((q) => {
      if (q.get('run') !== this.openId()) this.deleteError.set(null);
      this.openId.set(q.get('run'));
      this.compare.set((q.get('compare') ?? '').split(',').filter(Boolean));
    });
    const destroyRef = inject(DestroyRef);
    destroyRef.onDestroy(startPolling(() => this.load(), LIST_POLL_MS));
    destroyRef.onDestroy(() => clearTimeout(this.searchTimer));
    effect(() => {
      const id = this.openId();
      untracked(() => void this.loadDetail(id));
    });
    // Keyed by the ids (a string), not the run objects each read makes anew.
    const comparedKey = computed(() => this.comparedIds().join(','));
    effect(() => {
      const ids = comparedKey().split(',').filter(Boolean);
      untracked(() => void this.loadCompared(ids));
    });
  }

  /** A new filter reads the list again from its first rows; typed text once the typing pauses. */
  protected filterBy<T>(filter: WritableSignal<T>, value: T): void {
    filter.set(value);
    this.rowLimit.set(ROWS_STEP);
    clearTimeout(this.searchTimer);
    if (filter === this.text) this.searchTimer = setTimeout(() => void this.load(), SEARCH_DELAY_MS);
    else void this.load();
  }

  protected showMore(): void {
    this.rowLimit.set(this.rowLimit() + ROWS_STEP);
    void this.load();
  }

  protected label(run: RunDto): string {
    return run.name ?? run.run_id;
  }

  protected show(value: unknown): string {
    return Array.isArray(value) ? value.join(', ') : String(value);
  }

  protected toggleCompare(id: string): void {
    const ids = this.compare();
    const next = ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id];
    // The first ticked run opens when none is open yet.
    const run = this.openId() ?? next[0] ?? null;
    void this.router.navigate([], {
      queryParams: { run, compare: next.filter((x) => x !== run).join(',') || null },
      queryParamsHandling: 'merge',
    });
  }

  /** Asks, then deletes the run with its points, strings and configs, and closes it. */
  protected async deleteRun(run: RunDto): Promise<void> {
    const ok = await this.confirm.ask({
      title: `Delete run ${this.label(run)}?`,
      message: 'Its metrics, strings and configs are deleted with it. This cannot be undone.',
      confirmLabel: 'Delete run',
      danger: true,
    });
    if (!ok) return;
    this.deleteError.set(null);
    try {
      await deleteRun({ client: this.api, path: { run_id: run.run_id } });
    } catch (err) {
      // Beside the button, not in the list's error line (the next poll would clear it).
      this.deleteError.set(errorMessage(err));
      return;
    }
    // The first compared run opens in its place, the others stay compared.
    const rest = this.compare().filter((id) => id !== run.run_id);
    const open = this.openId() === run.run_id ? (rest.shift() ?? null) : this.openId();
    await this.router.navigate([], {
      queryParams: { run: open, compare: rest.join(',') || null },
      queryParamsHandling: 'merge',
    });
    await this.load();
  }

  private async load(): Promise<void> {
    const ticket = this.listAnswers.begin();
    try {
      const { runs, total } = await this.readRuns(this.rowLimit());
      if (!this.listAnswers.accept(ticket)) return;
      this.runs.set(runs);
      this.total.set(total);
      this.error.set(null);
      this.listFailed.set(false);
    } catch (err) {
      if (this.listAnswers.accept(ticket)) {
        this.error.set(errorMessage(err));
        this.listFailed.set(true);
      }
    } finally {
      this.loaded.set(true);
    }
    const open = this.openRun();
    if (open?.status === 'running') void this.loadDetail(open.run_id);
  }

  /** The first `count` runs matching the filters (a page at a time), and how many match in all. */
  private async readRuns(count: number): Promise<{ runs: RunDto[]; total: number }> {
    const query: ListRunsPageData['query'] = {
      q: this.text().trim() || undefined,
      status: (this.status() || undefined) as RunStatus | undefined,
      source: (this.source() || undefined) as RunDto['source'] | undefined,
      logged: this.withEmpty() ? undefined : true,
    };
    const runs: RunDto[] = [];
    let cursor: string | undefined;
    for (;;) {
      const limit = Math.min(count - runs.length, PAGE_MAX);
      const { data } = await listRunsPage({ client: this.api, query: { ...query, limit, cursor } });
      runs.push(...data.items);
      if (!data.next_cursor || runs.length >= count) return { runs, total: data.total };
      cursor = data.next_cursor;
    }
  }

  /** The compared runs' details; a newer comparison wins over an older read. A deleted run is left out. */
  private async loadCompared(ids: readonly string[]): Promise<void> {
    const [reads, tails] = await Promise.all([
      Promise.allSettled(ids.map((id) => getRun({ client: this.api, path: { run_id: id } }))),
      Promise.allSettled(
        ids.map((id) =>
          stringSeries({ client: this.api, path: { run_id: id }, query: { tail: STRINGS_TAIL } }),
        ),
      ),
    ]);
    if (this.comparedIds().join() !== ids.join()) return;
    this.compareDetails.set(reads.flatMap((r) => (r.status === 'fulfilled' ? [r.value.data] : [])));
    this.compareTails.set(
      tails.flatMap((r, i) =>
        r.status === 'fulfilled'
          ? [{ run_id: ids[i], points: r.value.data.points, total: r.value.data.total }]
          : [],
      ),
    );
    const failed = reads.find(
      (r): r is PromiseRejectedResult => r.status === 'rejected' && !isStatus(r.reason, 404),
    );
    if (failed) this.error.set(errorMessage(failed.reason));
  }

  private async loadDetail(id: string | null): Promise<void> {
    if (!id) {
      this.detail.set(null);
      this.strings.set([]);
      return;
    }
    const ticket = this.detailAnswers.begin();
    try {
      const [detail, strings] = await Promise.all([
        getRun({ client: this.api, path: { run_id: id } }),
        stringSeries({ client: this.api, path: { run_id: id }, query: { tail: STRINGS_TAIL } }),
      ]);
      if (this.openId() !== id || !this.detailAnswers.accept(ticket)) return;
      this.detail.set(detail.data);
      this.strings.set(strings.data.points);
      this.stringsTotal.set(strings.data.total);
    } catch (err) {
      this.error.set(errorMessage(err));
    }
  }
}
