import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { RouterLink } from '@angular/router';
import type { QueueItemDto } from '@trainyard/sdk';
import { Clock } from '../core/clock';
import {
  describeParams,
  formatDuration,
  formatTime,
  reasonParts,
  secondsSince,
  shortId,
  type ReasonPart,
} from '../core/format';
import { SchedulerStore } from '../core/scheduler.store';
import { SubmitLauncher } from '../core/submit-launcher';
import { QueueStore } from './queue.store';

/** Queued items in placement order, why each still waits, and the scheduler switch. */
@Component({
  selector: 'ty-queue-page',
  imports: [RouterLink],
  providers: [QueueStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <header class="page-head">
      <h1>Queue</h1>
      <span class="muted summary">{{ store.total() }} waiting</span>
      <span class="spacer"></span>
      @if (scheduler.status(); as s) {
        <span class="sched" [class.paused]="!s.enabled" role="status" aria-label="Scheduler state">
          <span class="dot" aria-hidden="true"></span>
          {{ s.enabled ? 'Scheduler running' : 'Scheduler paused' }}
          <span class="muted">· {{ s.running_count }} running · last pass {{ lastTick() }}</span>
        </span>
        <button
          type="button"
          class="btn"
          [disabled]="scheduler.busy()"
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
      <div class="table-wrap panel">
        <table class="table" aria-label="Queue">
          <colgroup>
            <col style="width: 44px" />
            <col style="width: 18%" />
            <col style="width: 96px" />
            <col style="width: 70px" />
            <col style="width: 56px" />
            <col style="width: 76px" />
            <col />
            <col style="width: 84px" />
          </colgroup>
          <thead>
            <tr>
              <th class="num">#</th>
              <th>Job</th>
              <th>Type</th>
              <th class="num">Priority</th>
              <th class="num">GPUs</th>
              <th class="num">Age</th>
              <th>Waiting because</th>
              <th><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            @for (item of store.items(); track item.queue_id; let i = $index) {
              <tr [attr.data-queue-id]="item.queue_id">
                <td class="num muted">{{ i + 1 }}</td>
                <td class="clip">
                  <a class="job-link" [routerLink]="['/jobs', item.queue_id]" [title]="item.queue_id">{{
                    item.name ?? shortId(item.queue_id)
                  }}</a>
                  <span class="mono muted cmd" [title]="params(item)">{{ params(item) }}</span>
                </td>
                <td>{{ item.job_type }}</td>
                <td class="num mono" [class.hi]="item.priority > 0">{{ item.priority }}</td>
                <td class="num mono">{{ item.requested_gpus }}</td>
                <td class="num mono" [title]="'Submitted ' + time(item.submitted_at)">{{ age(item) }}</td>
                <td class="reason" [title]="item.pending_reason ?? ''">
                  <span class="clamp">
                    @for (part of reason(item); track $index) {
                      @if ('queueId' in part) {
                        <a
                          class="job-link mono"
                          [routerLink]="['/jobs', part.queueId]"
                          [title]="part.queueId"
                          >{{ shortId(part.queueId) }}</a
                        >
                      } @else {
                        {{ part.text }}
                      }
                    }
                  </span>
                </td>
                <td class="actions">
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
                <td colspan="8">
                  @if (store.loading()) {
                    <span class="muted">Loading the queue…</span>
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
      </div>
    </div>
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
    .reason {
      color: var(--text-muted);
      font-size: 12px;
      line-height: 1.35;
    }
    .clamp {
      display: -webkit-box;
      -webkit-line-clamp: 2;
      -webkit-box-orient: vertical;
      overflow: hidden;
    }
    tbody tr {
      height: 40px;
    }
  `,
})
export class QueuePageComponent {
  protected readonly store = inject(QueueStore);
  protected readonly scheduler = inject(SchedulerStore);
  protected readonly launcher = inject(SubmitLauncher);
  private readonly clock = inject(Clock);

  protected readonly shortId = shortId;
  protected readonly time = formatTime;

  protected readonly lastTick = computed(() => {
    const s = secondsSince(this.scheduler.status()?.last_tick_at, this.clock.now());
    return s === null ? 'never' : `${formatDuration(s)} ago`;
  });

  protected age(item: QueueItemDto): string {
    return formatDuration(secondsSince(item.submitted_at, this.clock.now()));
  }

  protected reason(item: QueueItemDto): ReasonPart[] {
    return reasonParts(item.pending_reason ?? 'waiting for the next scheduling pass');
  }

  protected params(item: QueueItemDto): string {
    return describeParams(item.job_type, item.job_params);
  }
}
