import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { type JobStatus, listJobs, MAX_CLEANUP_AGE_S, parseDuration } from '@trainyard/sdk';
import { API } from '../core/api';
import { FINISHED_STATUSES } from '../core/format';
import { FORM_FIELD } from '../shared/form-field/form-field.component';
import { JobsStore } from './jobs.store';

/** The ages the dialog offers, as `trainyard sched cleanup --older-than` takes them ('' = any age). */
const AGES = [
  { value: '', label: 'any time' },
  { value: '1d', label: '1 day ago' },
  { value: '7d', label: '7 days ago' },
  { value: '30d', label: '30 days ago' },
  { value: 'other', label: 'other…' },
] as const;

/**
 * "Clean up finished" with the choices POST /api/jobs/cleanup and `trainyard sched cleanup` offer:
 * only jobs that ended longer ago than an age (a typed duration too: `12h`, `2d`), only some
 * finished statuses. The API has no dry run, so a count is shown only where the list can say it
 * exactly: any age (the finished jobs of the chosen statuses).
 */
@Component({
  selector: 'ty-cleanup-dialog',
  imports: [FORM_FIELD],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <dialog #dialog class="modal" aria-labelledby="cleanup-title" (close)="shown.set(false)">
      @if (shown()) {
        <form class="modal-body narrow" (submit)="submit($event)">
          <h2 id="cleanup-title">Clean up finished jobs</h2>
          <p class="muted">{{ summary() }}</p>
          <ty-form-field controlId="cleanup-age" label="Ended more than">
            <select tyFieldControl name="age" (change)="age.set($any($event.target).value)">
              @for (a of ages; track a.value) {
                <option [value]="a.value" [selected]="age() === a.value">{{ a.label }}</option>
              }
            </select>
          </ty-form-field>
          @if (age() === 'other') {
            <ty-form-field
              controlId="cleanup-older-than"
              label="Older than"
              hint="e.g. 12h, 2d, 1d12h"
              [error]="durationError()"
            >
              <input
                tyFieldControl
                name="older-than"
                type="text"
                autocomplete="off"
                [value]="typed()"
                (input)="typed.set($any($event.target).value)"
              />
            </ty-form-field>
          }
          <fieldset class="statuses" aria-describedby="cleanup-status-hint">
            <legend>Statuses</legend>
            @for (s of finished; track s) {
              <label class="checkbox">
                <input
                  type="checkbox"
                  [name]="'status-' + s"
                  [checked]="statuses().has(s)"
                  (change)="toggle(s, $any($event.target).checked)"
                />
                {{ s }}
              </label>
            }
            <span id="cleanup-status-hint" class="hint" [class.bad]="!statuses().size">{{
              statuses().size ? 'Queued and running jobs always stay.' : 'Pick at least one status.'
            }}</span>
          </fieldset>
          <div class="modal-actions">
            <button type="button" class="btn" data-confirm="cancel" (click)="close()">Cancel</button>
            <button type="submit" class="btn btn-danger" [disabled]="!valid() || count() === 0">
              {{ confirmLabel() }}
            </button>
          </div>
        </form>
      }
    </dialog>
  `,
  styles: `
    .statuses {
      display: flex;
      flex-wrap: wrap;
      gap: 6px 16px;
      margin: 0 0 12px;
      padding: 0;
      border: 0;
    }
    legend {
      font-weight: 600;
      margin-bottom: 4px;
    }
    .checkbox {
      display: flex;
      align-items: center;
      gap: 6px;
    }
    .hint {
      flex-basis: 100%;
      font-size: 12px;
      color: var(--text-muted);
    }
    .hint.bad {
      color: var(--danger, #c62828);
    }
  `,
})
export class CleanupDialogComponent {
  private readonly store = inject(JobsStore);
  private readonly api = inject(API);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private readonly injector = inject(Injector);
  protected readonly ages = AGES;
  protected readonly finished = FINISHED_STATUSES;
  protected readonly shown = signal(false);
  protected readonly age = signal<string>('');
  protected readonly typed = signal('');
  protected readonly statuses = signal<ReadonlySet<JobStatus>>(new Set(FINISHED_STATUSES));
  /** Finished jobs of the chosen statuses now (any age); null while unknown. */
  protected readonly count = signal<number | null>(null);
  private counting = 0;

  /** The age in seconds (null: any age); undefined while the typed one is not a duration. */
  private readonly olderThan = computed(() => {
    const age = this.age();
    if (age === '') return null;
    const seconds = parseDuration(age === 'other' ? this.typed() : age);
    return seconds === null || (seconds !== undefined && seconds > MAX_CLEANUP_AGE_S) ? undefined : seconds;
  });
  protected readonly durationError = computed(() =>
    this.olderThan() === undefined && this.typed().trim() !== ''
      ? 'Type a duration like 7d, 12h or 90m (at most 36500d)'
      : null,
  );
  protected readonly valid = computed(() => this.olderThan() !== undefined && this.statuses().size > 0);
  protected readonly summary = computed(() => {
    const which = this.statusText();
    const older = this.olderThan();
    if (older === null) {
      const n = this.count();
      const now = n === null ? '' : ` (${n} now)`;
      return `Every ${which} job${now} is deleted with its log. Jobs queued jobs depend on are kept.`;
    }
    const age = this.age() === 'other' ? this.typed().trim() : this.age();
    return `Every ${which} job that ended more than ${older === undefined ? '…' : age} ago is deleted with its log. Jobs queued jobs depend on are kept.`;
  });
  protected readonly confirmLabel = computed(() => {
    const n = this.olderThan() === null ? this.count() : null;
    return n === null ? 'Delete' : n === 0 ? 'Nothing to delete' : `Delete ${n} job${n === 1 ? '' : 's'}`;
  });

  open(): void {
    this.age.set('');
    this.typed.set('');
    this.statuses.set(new Set(FINISHED_STATUSES));
    this.shown.set(true);
    const dialog = this.dialog().nativeElement;
    dialog.showModal();
    // On Cancel, as in every confirmation that starts work: a bare Enter does not delete. The form
    // renders after showModal, so its first field would not get the modal's own initial focus.
    afterNextRender(() => dialog.querySelector<HTMLElement>('[data-confirm="cancel"]')?.focus(), {
      injector: this.injector,
    });
    void this.recount();
  }

  protected close(): void {
    this.dialog().nativeElement.close();
  }

  protected toggle(status: JobStatus, on: boolean): void {
    const next = new Set(this.statuses());
    if (on) next.add(status);
    else next.delete(status);
    this.statuses.set(next);
    void this.recount();
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    const olderThan = this.olderThan();
    if (olderThan === undefined || !this.statuses().size) return;
    const statuses = FINISHED_STATUSES.filter((s) => this.statuses().has(s));
    this.close();
    await this.store.cleanup({
      ...(olderThan !== null && { ended_before: new Date(Date.now() - olderThan * 1000).toISOString() }),
      // All three is what no status means: the request stays the plain "clean up finished".
      ...(statuses.length < FINISHED_STATUSES.length && { status: statuses.join(',') }),
    });
  }

  private statusText(): string {
    const chosen = FINISHED_STATUSES.filter((s) => this.statuses().has(s));
    if (chosen.length === FINISHED_STATUSES.length || !chosen.length) return 'done, failed and aborted';
    return chosen.length === 1 ? chosen[0] : `${chosen.slice(0, -1).join(', ')} and ${chosen.at(-1)}`;
  }

  /** How many finished jobs of the chosen statuses the server holds (not only those loaded). */
  private async recount(): Promise<void> {
    const ticket = ++this.counting;
    this.count.set(null);
    if (!this.statuses().size) return;
    try {
      const { data } = await listJobs({
        client: this.api,
        throwOnError: true,
        query: { status: [...this.statuses()].join(','), limit: 1 },
      });
      if (ticket === this.counting) this.count.set(data.total);
    } catch {
      // unknown: the question still asks, without a number
    }
  }
}
