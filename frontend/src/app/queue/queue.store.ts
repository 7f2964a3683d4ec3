import { DestroyRef, Injectable, effect, inject, signal, untracked } from '@angular/core';
import { type QueueItemDto, cancelQueueItem, listQueueUpTo } from '@trainyard/sdk';
import { API, errorMessage } from '../core/api';
import { ConfirmStore } from '../core/confirm.store';
import { abortedDependentsNote } from '../core/dependents-note';
import { formatDuration, secondsSince } from '../core/format';
import { followJobChanges } from '../core/job-changes';
import { NewestAnswer } from '../core/newest-answer';
import { RefreshBus } from '../core/refresh';
import { SchedulerStore } from '../core/scheduler.store';
import { ToastStore } from '../core/toast.store';

/** Rows read at first, and how many more each "Show more" adds. */
const PAGE = 1000;

/**
 * The queue (GET /api/queue, re-read on every job change the server streams), its first rows — more
 * on request, never fewer than asked for without saying so — and cancelling items.
 */
@Injectable()
export class QueueStore {
  private readonly api = inject(API);
  private readonly toasts = inject(ToastStore);
  private readonly scheduler = inject(SchedulerStore);
  private readonly confirm = inject(ConfirmStore);

  readonly items = signal<QueueItemDto[]>([]);
  readonly total = signal(0);
  /** Rows asked for: a page, and another with each {@link showMore}. */
  readonly limit = signal(PAGE);
  /** The queue goes on past the rows shown. */
  readonly hasMore = signal(false);
  /** True until the first answer. */
  readonly loading = signal(true);
  readonly error = signal<string | null>(null);
  /** Reloads overlap (one per job event): the newest answer wins. */
  private readonly answers = new NewestAnswer();
  /** Items with a cancel in flight. */
  readonly cancelling = signal<ReadonlySet<string>>(new Set());

  constructor() {
    const stop = followJobChanges(() => this.load());
    const refresh = inject(RefreshBus);
    let first = true;
    effect(() => {
      refresh.tick();
      if (first) {
        first = false;
        return;
      }
      untracked(() => void this.load());
    });
    inject(DestroyRef).onDestroy(stop);
  }

  async load(): Promise<void> {
    const ticket = this.answers.begin();
    try {
      const [data] = await Promise.all([listQueueUpTo(this.api, this.limit()), this.scheduler.load()]);
      if (!this.answers.accept(ticket)) return;
      this.items.set(data.items);
      this.total.set(data.total);
      this.hasMore.set(data.more);
      this.error.set(null);
    } catch (err) {
      if (this.answers.accept(ticket)) this.error.set(errorMessage(err));
    } finally {
      this.loading.set(false);
    }
  }

  showMore(): void {
    this.limit.update((n) => n + PAGE);
    void this.load();
  }

  /** Removes an item after asking (its name, id and time waited are in the question). */
  async cancel(item: QueueItemDto): Promise<void> {
    const name = item.name ?? item.queue_id;
    const warning = await abortedDependentsNote(this.api, [item]);
    const ok = await this.confirm.ask({
      title: `Remove ${name} from the queue?`,
      message: item.array_id
        ? 'It will not run. It stays in its array as aborted, so the array can retry it.'
        : 'It is removed from the queue and will not run.',
      ...(warning && { warning }),
      details: [
        ['job', name],
        ['id', item.queue_id],
        ['waiting', formatDuration(secondsSince(item.submitted_at, Date.now()))],
      ],
      confirmLabel: 'Remove from queue',
      dismissLabel: 'Keep',
      danger: true,
    });
    if (!ok) return;
    this.cancelling.update((s) => new Set(s).add(item.queue_id));
    try {
      const { data } = await cancelQueueItem({ client: this.api, path: { queue_id: item.queue_id } });
      this.toasts.info(
        data.outcome === 'removed'
          ? `Removed ${item.name ?? item.queue_id} from the queue.`
          : data.outcome === 'aborted'
            ? `Cancelled ${item.name ?? item.queue_id}: ${item.array_id ? 'kept as aborted in its array' : 'it had run before, so it is kept as aborted'}.`
            : `${item.name ?? item.queue_id} had started; it is being aborted.`,
      );
      this.items.update((list) => list.filter((i) => i.queue_id !== item.queue_id));
      await this.load();
    } catch (err) {
      this.toasts.error(errorMessage(err));
    } finally {
      this.cancelling.update((s) => {
        const next = new Set(s);
        next.delete(item.queue_id);
        return next;
      });
    }
  }
}
