import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  computed,
  effect,
  inject,
  signal,
  untracked,
} from '@angular/core';
import { RouterLink } from '@angular/router';
import { type JournalEntryDto, getJob, listJournal } from '@trainyard/sdk';
import { API, errorMessage } from '../core/api';
import { formatTime, shortId } from '../core/format';
import { startPolling } from '../core/poll';
import { RefreshBus } from '../core/refresh';
import { AREAS, type Activity, type Area, describeEntry } from './activity';

const PAGE_SIZE = 50;
const POLL_MS = 5000;
const AREA_NAMES: Record<Area, string> = {
  job: 'Jobs',
  run: 'Runs',
  gpu: 'GPUs',
  scheduler: 'Scheduler',
  auth: 'Sign-in',
};

/** How far back (entries) the names of jobs deleted since (cancelled while queued) are looked for. */
const NAME_LOOKBACK = 5000;
/** An area's tag on a row, where its short name is not a word. */
const AREA_TAGS: Partial<Record<string, string>> = { fs: 'files', projects: 'project' };

/** The journal as an activity feed: newest first, in words, paged back, one area or all. */
@Component({
  selector: 'ty-activity-page',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <header class="page-head">
      <h1>Activity</h1>
      <span class="muted summary">{{ total() }} {{ total() === 1 ? 'entry' : 'entries' }}</span>
      <span class="spacer"></span>
      <div class="segmented" role="group" aria-label="Show">
        <button type="button" [attr.aria-pressed]="area() === null" (click)="area.set(null)">All</button>
        @for (a of areas; track a) {
          <button type="button" [attr.aria-pressed]="area() === a" (click)="area.set(a)">
            {{ areaNames[a] }}
          </button>
        }
      </div>
    </header>
    <div class="page-body">
      @if (error(); as error) {
        <div class="banner banner-warn" role="alert">Could not load the activity: {{ error }}</div>
      }
      <ol class="feed panel" aria-label="Activity">
        @for (item of items(); track item.seq) {
          <li [attr.data-seq]="item.seq">
            <time class="mono muted" [attr.datetime]="item.ts" [title]="item.ts">{{ time(item.ts) }}</time>
            <span class="area" [attr.data-area]="item.area">{{ areaTags[item.area] ?? item.area }}</span>
            <span class="what">
              @if (item.queueId; as id) {
                job
                <a class="job-link" [routerLink]="['/jobs', id]" [title]="id">{{ jobLabel()(id) }}</a>
              }
              {{ item.text }}
            </span>
          </li>
        } @empty {
          <li class="empty muted">
            {{
              loading() ? 'Loading…' : error() ? 'The activity could not be read.' : 'Nothing recorded yet.'
            }}
          </li>
        }
      </ol>
      @if (cursor()) {
        <button type="button" class="btn older" [disabled]="loading()" (click)="older()">Show older</button>
      }
    </div>
  `,
  styles: `
    .summary {
      font-size: 12px;
    }
    .segmented {
      display: flex;
      flex-wrap: wrap;
      border: 1px solid var(--border);
      border-radius: 6px;
      padding: 2px;
      background: var(--bg);
    }
    .segmented button {
      border: 0;
      background: transparent;
      color: var(--text-muted);
      padding: 3px 10px;
      border-radius: 4px;
      font: inherit;
      cursor: pointer;
    }
    .segmented button[aria-pressed='true'] {
      background: var(--surface-raised);
      color: var(--text);
      font-weight: 600;
    }
    .feed {
      list-style: none;
      margin: 0;
      padding: 0;
    }
    .feed li {
      display: grid;
      grid-template-columns: auto 78px minmax(0, 1fr);
      gap: 10px;
      align-items: baseline;
      padding: 6px 12px;
      border-bottom: 1px solid var(--border);
    }
    .feed li:last-child {
      border-bottom: 0;
    }
    .feed li.empty {
      display: block;
    }
    .area {
      font-size: 11px;
      text-transform: uppercase;
      letter-spacing: 0.05em;
      color: var(--text-muted);
    }
    .what {
      overflow-wrap: anywhere;
    }
    .older {
      justify-self: start;
    }
  `,
})
export class ActivityPageComponent {
  private readonly api = inject(API);

  protected readonly areas = AREAS;
  protected readonly areaNames = AREA_NAMES;
  protected readonly areaTags = AREA_TAGS;
  protected readonly time = formatTime;
  protected readonly area = signal<Area | null>(null);
  protected readonly items = signal<Activity[]>([]);
  protected readonly total = signal(0);
  protected readonly cursor = signal<string | null>(null);
  protected readonly loading = signal(true);
  protected readonly error = signal<string | null>(null);
  /** Job names by id: from the `job.queued` entries seen, else asked of the server once. */
  private readonly names = signal<ReadonlyMap<string, string | null>>(new Map());
  private generation = 0;

  protected readonly jobLabel = computed(() => {
    const names = this.names();
    return (id: string) => {
      const name = names.get(id);
      return name ? `${shortId(id)} '${name}'` : shortId(id);
    };
  });

  constructor() {
    const refresh = inject(RefreshBus);
    effect(() => {
      this.area();
      refresh.tick();
      untracked(() => void this.reload());
    });
    const stop = startPolling(() => this.newer(), POLL_MS);
    inject(DestroyRef).onDestroy(stop);
  }

  /** The newest page of the chosen area, replacing what is shown. */
  private async reload(): Promise<void> {
    const generation = ++this.generation;
    this.loading.set(true);
    await this.fetch({ order: 'desc', limit: PAGE_SIZE }, generation, (page, entries) => {
      this.items.set(entries);
      this.cursor.set(page.next_cursor);
    });
  }

  protected async older(): Promise<void> {
    const before = this.cursor();
    if (!before) return;
    this.loading.set(true);
    await this.fetch(
      { order: 'desc', limit: PAGE_SIZE, before_seq: Number(before) },
      this.generation,
      (page, entries) => {
        this.items.update((shown) => [...shown, ...entries]);
        this.cursor.set(page.next_cursor);
      },
    );
  }

  /** Entries recorded since the newest one shown, put on top. */
  private async newer(): Promise<void> {
    const newest = this.items()[0]?.seq;
    if (newest === undefined || this.loading()) return this.items().length ? undefined : this.reload();
    await this.fetch({ order: 'asc', limit: 1000, after_seq: newest }, this.generation, (_page, entries) => {
      if (entries.length) this.items.update((shown) => [...entries.reverse(), ...shown]);
    });
  }

  private async fetch(
    query: { order: 'asc' | 'desc'; limit: number; before_seq?: number; after_seq?: number },
    generation: number,
    apply: (page: { next_cursor: string | null }, entries: Activity[]) => void,
  ): Promise<void> {
    try {
      const area = this.area() ?? undefined;
      const { data } = await listJournal({ client: this.api, query: { ...query, area } });
      if (generation !== this.generation) return;
      this.learnNames(data.items);
      apply(data, data.items.map(describeEntry));
      this.total.set(data.total);
      this.error.set(null);
    } catch (err) {
      if (generation === this.generation) this.error.set(errorMessage(err));
    } finally {
      if (generation === this.generation) this.loading.set(false);
    }
  }

  private learnNames(entries: JournalEntryDto[]): void {
    const names = new Map(this.names());
    const unknown = new Set<string>();
    // A job cancelled while queued has no record left to ask for: its name is only in the journal.
    const deleted = new Set<string>();
    for (const entry of entries) {
      if (entry.type === 'job.queued.v1') names.set(entry.payload.queue_id, entry.payload.name);
      if (entry.type === 'job.cancelled.v1') deleted.add(entry.payload.queue_id);
    }
    for (const entry of entries) {
      const id = describeEntry(entry).queueId;
      if (id !== undefined && !names.has(id)) unknown.add(id);
    }
    this.names.set(names);
    if (unknown.size === 0) return;
    for (const id of unknown) names.set(id, null); // asked once, even if the job is gone
    const oldest = Math.min(...entries.map((e) => e.seq));
    void Promise.all(
      [...unknown].map(async (id) => {
        if (deleted.has(id)) return id;
        const { data, response } = await getJob({
          client: this.api,
          path: { queue_id: id },
          throwOnError: false,
        });
        if (data?.name) this.names.update((m) => new Map(m).set(id, data.name));
        return response?.status === 404 ? id : null;
      }),
    ).then((gone) => this.namesOfDeletedJobs(new Set(gone.filter((id) => id !== null)), oldest));
  }

  /** The names of jobs with no record left, from their `job.queued` entries, a bounded way back. */
  private async namesOfDeletedJobs(ids: Set<string>, beforeSeq: number): Promise<void> {
    let before = beforeSeq;
    for (let read = 0; ids.size > 0 && read < NAME_LOOKBACK; read += 1000) {
      const { data } = await listJournal({
        client: this.api,
        query: { order: 'desc', limit: 1000, before_seq: before, area: 'job' },
        throwOnError: false,
      });
      if (!data) return;
      for (const entry of data.items) {
        if (entry.type !== 'job.queued.v1' || !ids.has(entry.payload.queue_id)) continue;
        ids.delete(entry.payload.queue_id);
        const name = entry.payload.name;
        if (name) this.names.update((m) => new Map(m).set(entry.payload.queue_id, name));
      }
      if (!data.next_cursor) return;
      before = Number(data.next_cursor);
    }
  }
}
