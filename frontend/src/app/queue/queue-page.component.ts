import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  computed,
  inject,
  signal,
} from '@angular/core';
import { NgTemplateOutlet } from '@angular/common';
import { Router, RouterLink } from '@angular/router';
import type { QueueItemDto } from '@trainyard/sdk';
import { Clock } from '../core/clock';
import {
  describeParams,
  formatDuration,
  formatTime,
  formatGpus,
  secondsSince,
  shortId,
} from '../core/format';
import { ServerReachability } from '../core/api';
import { ContextMenuStore } from '../core/context-menu.store';
import { mediaQuery, PHONE_QUERY } from '../core/media';
import { HoldStore } from '../core/hold.store';
import { PriorityChangeStore } from '../core/priority-change.store';
import { SchedulerStore } from '../core/scheduler.store';
import { isTyping } from '../core/shortcuts';
import { SubmitLauncher } from '../core/submit-launcher';
import { ServerTextComponent } from '../shared/server-text.component';
import { KeepFocusDirective } from '../shared/keep-focus.directive';
import { RowNav, rowStep, stepRow } from '../shared/row-nav';
import { QueueStore } from './queue.store';

/**
 * Queued items in placement order, why each still waits, and the scheduler switch. j/k (and the
 * arrows in the table) move keyboard focus between the rows, as in the Jobs view; Enter on a row
 * opens its job, as the row's link does (Tab reaches the link and the Priority…, Hold / Release and
 * Cancel buttons).
 */
@Component({
  selector: 'ty-queue-page',
  imports: [RouterLink, KeepFocusDirective, NgTemplateOutlet, ServerTextComponent],
  providers: [QueueStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <header class="page-head">
      <h1>Queue</h1>
      <span class="muted summary"
        >{{ store.total() }} waiting{{
          scheduler.status()?.held_count ? ' (' + scheduler.status()?.held_count + ' held)' : ''
        }}</span
      >
      <span class="spacer"></span>
      @if (scheduler.status(); as s) {
        <span
          class="sched"
          [class.paused]="!s.enabled"
          [class.unknown]="!reachability.reachable()"
          role="status"
          aria-label="Scheduler state"
        >
          <span class="dot" aria-hidden="true"></span>
          {{
            !reachability.reachable()
              ? 'Scheduler state unknown (server unreachable)'
              : s.enabled
                ? 'Scheduler running'
                : 'Scheduler paused'
          }}
          <span class="muted">· {{ s.running_count }} running · last pass {{ lastTick() }}</span>
        </span>
        <button
          type="button"
          class="btn"
          [disabled]="scheduler.busy() || !reachability.reachable()"
          (click)="scheduler.setEnabled(!s.enabled)"
          [attr.aria-label]="s.enabled ? 'Pause scheduler' : 'Resume scheduler'"
        >
          @if (s.enabled) {
            <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
              <path d="M4.5 3h2.5v10H4.5zM9 3h2.5v10H9z" fill="currentColor" />
            </svg>
            Pause
          } @else {
            <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
              <path d="M4.5 3v10l8-5z" fill="currentColor" />
            </svg>
            Resume
          }
        </button>
      }
    </header>

    <div class="page-body">
      @if (store.error(); as error) {
        <div class="banner banner-warn" role="alert">Could not load the queue: {{ error }}</div>
      }
      @if (scheduler.status()?.enabled === false && store.total() > 0) {
        <div class="banner" role="status">
          The scheduler is paused: nothing below starts until you resume it.
        </div>
      }
      <div class="table-wrap panel" [class.phone]="phone()">
        <table class="table" aria-label="Queue">
          <thead>
            <!-- Widths on the header row (table-layout: fixed); .opt columns drop out on narrow windows. -->
            <tr>
              @if (!phone()) {
                <th class="num" style="width: 40px">#</th>
              }
              <th class="job-col">Job</th>
              <th class="opt" style="width: 96px">Type</th>
              <th class="num opt" style="width: 66px">Priority</th>
              <th class="num" style="width: 76px">GPUs</th>
              <th class="num opt" style="width: 70px">Age</th>
              @if (!phone()) {
                <th>Waiting because</th>
              }
              <th class="actions-col"><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody keepFocus>
            @for (item of store.items(); track item.queue_id; let i = $index) {
              <tr
                [attr.data-queue-id]="item.queue_id"
                [attr.tabindex]="item.queue_id === focusId() ? 0 : -1"
                (focus)="lastFocused.set(item.queue_id)"
                (keydown.enter)="openRow(item, $event)"
              >
                @if (!phone()) {
                  <td class="num muted">{{ i + 1 }}</td>
                }
                <td class="clip">
                  <span class="name-line">
                    <a
                      class="job-link"
                      [routerLink]="['/jobs', item.queue_id]"
                      [title]="item.name ? item.name + ' (' + item.queue_id + ')' : item.queue_id"
                      >{{ item.name ?? shortId(item.queue_id) }}</a
                    >
                    @if (item.name) {
                      <span class="mono muted id">{{ shortId(item.queue_id) }}</span>
                    }
                    @if (item.held) {
                      <span
                        class="status status-held"
                        title="Held by the user: it keeps its place until released"
                        >held</span
                      >
                    }
                  </span>
                  <span class="mono muted cmd" [title]="params(item)">{{ params(item) }}</span>
                  @if (phone()) {
                    <!-- A phone: the reason under the name, where the name's column has the room. -->
                    <span class="reason narrow-reason">
                      <ng-container
                        [ngTemplateOutlet]="why"
                        [ngTemplateOutletContext]="{ $implicit: item }"
                      />
                    </span>
                  }
                </td>
                <td class="opt">{{ item.job_type }}</td>
                <td class="num mono opt" [class.hi]="item.priority > 0">
                  {{ item.priority }}
                  @if (aged(item); as placedAs) {
                    <!-- With --priority-aging: what the scheduler places it by now. -->
                    <span
                      class="aged"
                      [title]="'Aged by its wait: the scheduler places it as priority ' + placedAs"
                      >aged {{ placedAs }}</span
                    >
                  }
                </td>
                @let gpus =
                  gpuText({ gpu_indices: [], requested_gpus: item.requested_gpus, status: 'queued' });
                <td class="num mono" [class.muted]="gpus.none" [title]="gpus.title">
                  {{ gpus.none ? '—' : gpus.text }}
                </td>
                <td class="num mono opt" [title]="'Submitted ' + time(item.submitted_at)">{{ age(item) }}</td>
                @if (!phone()) {
                  <td class="reason">
                    <ng-container [ngTemplateOutlet]="why" [ngTemplateOutletContext]="{ $implicit: item }" />
                  </td>
                }
                <td class="actions">
                  <button
                    type="button"
                    class="btn btn-sm"
                    data-action="priority"
                    title="Change priority…"
                    [disabled]="store.cancelling().has(item.queue_id)"
                    [attr.aria-label]="'Change priority of ' + (item.name ?? item.queue_id)"
                    (click)="priority.ask(item)"
                  >
                    Priority…
                  </button>
                  <button
                    type="button"
                    class="btn btn-sm"
                    data-action="hold"
                    [title]="
                      item.held
                        ? 'Release: let it start, from its place'
                        : 'Hold: keep it from starting, in its place'
                    "
                    [disabled]="store.cancelling().has(item.queue_id) || hold.busy().has(item.queue_id)"
                    [attr.aria-label]="(item.held ? 'Release ' : 'Hold ') + (item.name ?? item.queue_id)"
                    (click)="hold.toggle(item)"
                  >
                    {{ item.held ? 'Release' : 'Hold' }}
                  </button>
                  <button
                    type="button"
                    class="btn btn-sm"
                    [disabled]="store.cancelling().has(item.queue_id)"
                    [attr.aria-label]="'Cancel ' + (item.name ?? item.queue_id)"
                    (click)="store.cancel(item)"
                  >
                    Cancel
                  </button>
                </td>
              </tr>
            } @empty {
              <tr class="empty-row">
                <td [attr.colspan]="phone() ? 6 : 8">
                  @if (store.loading()) {
                    <span class="muted">Loading the queue…</span>
                  } @else if (store.error()) {
                    <!-- Not "the queue is empty": it could not be read (the banner above says why). -->
                    <span class="muted">The queue could not be read.</span>
                  } @else {
                    <div class="empty">
                      <p class="empty-title">The queue is empty</p>
                      <p class="muted">
                        Everything submitted has started.
                        <button type="button" class="link" (click)="launcher.show()">Submit a job</button>
                        (<kbd>n</kbd>).
                      </p>
                    </div>
                  }
                </td>
              </tr>
            }
          </tbody>
        </table>
        @if (store.hasMore()) {
          <div class="more-row">
            <span class="muted">Showing the first {{ store.items().length }} of {{ store.total() }}</span>
            <button type="button" class="btn btn-sm" (click)="store.showMore()">Show more</button>
          </div>
        }
      </div>
    </div>

    <ng-template #why let-item>
      <ty-server-text [text]="reason(item)" />
    </ng-template>
  `,
  styles: `
    .summary {
      font-size: 12px;
    }
    .sched {
      display: inline-flex;
      align-items: center;
      gap: 6px;
      font-size: 12px;
      white-space: nowrap;
    }
    .sched .dot {
      width: 8px;
      height: 8px;
      border-radius: 50%;
      background: var(--ok);
    }
    .sched.paused .dot {
      background: var(--warn);
    }
    .sched.unknown .dot {
      background: var(--text-muted);
    }
    .cmd {
      display: block;
      font-size: 11px;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .hi {
      color: var(--warn);
      font-weight: 600;
    }
    .aged {
      display: block;
      color: var(--text-muted);
      font-size: 11px;
      font-weight: normal;
      white-space: nowrap;
    }
    .reason {
      color: var(--text-muted);
      font-size: 12px;
      line-height: 1.35;
    }
    /* The whole reason, wrapped: it is the one thing this view is for. */
    .reason {
      white-space: normal;
      overflow-wrap: anywhere;
      padding-top: 6px;
      padding-bottom: 6px;
    }
    .table-wrap {
      container-type: inline-size;
    }
    /* The name and command clip (their title has them whole); the reason takes what is left. */
    .job-col {
      width: 20%;
    }
    .actions-col {
      width: 236px;
    }
    .actions {
      white-space: nowrap;
    }
    .name-line .status-held {
      margin-left: 6px;
    }
    /*
     * Narrow (an 800 px window): name and reason keep the room, type, priority and age go, and the
     * row's buttons stack in a narrow column.
     */
    @container (max-width: 760px) {
      .opt {
        display: none;
      }
      .job-col {
        width: 36%;
      }
      .actions-col {
        width: 84px;
      }
      /* Stacked, the buttons set the row's height: room above and below, as the reason has. */
      .actions {
        white-space: normal;
        padding-top: 6px;
        padding-bottom: 6px;
      }
      /* Narrow side padding: "Priority…", the widest of the stacked buttons, fits whole, and the
         column leaves the reason its room. */
      .actions .btn {
        display: block;
        width: 100%;
        padding: 0 4px;
      }
      .actions .btn + .btn {
        margin-top: 4px;
      }
    }
    /*
     * A phone: the # and reason columns go and the reason goes under the name, wrapped — in its own
     * column it was left no width at all (a character per line).
     */
    .phone .job-col {
      width: auto;
    }
    .narrow-reason {
      display: block;
      padding: 2px 0 0;
    }
    .phone td.clip {
      white-space: normal;
    }
    .phone td.clip > .name-line {
      white-space: nowrap;
    }
    .phone td.clip > .cmd {
      display: block;
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    tbody tr {
      height: 40px;
    }
    /* As in the Jobs table: inside the row, where the table's scroll box would clip it. */
    tbody tr:focus-visible {
      outline: 2px solid var(--accent);
      outline-offset: -2px;
    }
  `,
})
export class QueuePageComponent {
  protected readonly gpuText = formatGpus;
  protected readonly phone = mediaQuery(PHONE_QUERY);
  protected readonly store = inject(QueueStore);
  protected readonly scheduler = inject(SchedulerStore);
  protected readonly priority = inject(PriorityChangeStore);
  protected readonly hold = inject(HoldStore);
  protected readonly launcher = inject(SubmitLauncher);
  protected readonly reachability = inject(ServerReachability);
  private readonly clock = inject(Clock);
  private readonly menu = inject(ContextMenuStore);
  private readonly router = inject(Router);
  private readonly host: HTMLElement = inject(ElementRef).nativeElement;
  private readonly rows = new RowNav(this.host, 'data-queue-id');

  /** The row that last had focus. */
  protected readonly lastFocused = signal<string | null>(null);
  /** The row in the tab order (roving tabindex): the one last focused while it waits, else the first. */
  protected readonly focusId = computed(() => {
    const list = this.store.items();
    const id = this.lastFocused();
    return list.some((i) => i.queue_id === id) ? id : (list[0]?.queue_id ?? null);
  });

  protected readonly shortId = shortId;
  protected readonly time = formatTime;

  protected readonly lastTick = computed(() => {
    const s = secondsSince(this.scheduler.status()?.last_tick_at, this.clock.now());
    return s === null ? 'never' : `${formatDuration(s)} ago`;
  });

  constructor() {
    const onKey = (event: KeyboardEvent) => this.onKey(event);
    document.addEventListener('keydown', onKey);
    inject(DestroyRef).onDestroy(() => document.removeEventListener('keydown', onKey));
  }

  protected age(item: QueueItemDto): string {
    return formatDuration(secondsSince(item.submitted_at, this.clock.now()));
  }

  protected reason(item: QueueItemDto): string {
    return item.pending_reason ?? 'waiting for the next scheduling pass';
  }

  /**
   * The priority aging gives the item now, to one decimal as `trainyard sched list` shows it, when
   * that differs from its own (else null).
   */
  protected aged(item: QueueItemDto): number | null {
    if (item.effective_priority === undefined) return null;
    const placedAs = Number(item.effective_priority.toFixed(1));
    return placedAs === item.priority ? null : placedAs;
  }

  protected params(item: QueueItemDto): string {
    return describeParams(item.job_type, item.job_params);
  }

  /** Enter on the row itself (not on its link or Cancel button, which handle their own). */
  protected openRow(item: QueueItemDto, event: Event): void {
    if (event.target !== event.currentTarget) return;
    event.preventDefault();
    void this.router.navigate(['/jobs', item.queue_id]);
  }

  /** j/k: focus the next or previous row, from the focused one (or the first when none is). */
  private onKey(event: KeyboardEvent): void {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event)) return;
    // Dialogs (the cancel question) and menus own the keyboard while they are open.
    if (document.querySelector('dialog[open]') || this.menu.menu()) return;
    const delta = rowStep(event, this.host.querySelector('tbody'));
    if (!delta) return;
    event.preventDefault();
    const next = stepRow(
      this.store.items().map((i) => i.queue_id),
      this.rows.focusedId(),
      delta,
    );
    if (next !== null) this.rows.focus(next);
  }
}
