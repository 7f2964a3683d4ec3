import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  effect,
  inject,
  untracked,
  viewChild,
} from '@angular/core';
import { FormsModule } from '@angular/forms';
import { shortId } from '../core/format';
import { PriorityChangeStore } from '../core/priority-change.store';
import { FORM_FIELD } from './form-field/form-field.component';

/**
 * The modal for `PriorityChangeStore.ask`: the job's current priority, filled in and selected; a
 * value out of bounds (or refused by the server: the job started meanwhile) is said under the field.
 */
@Component({
  selector: 'ty-priority-dialog',
  imports: [FormsModule, FORM_FIELD],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <dialog #dialog class="modal" aria-labelledby="job-priority-title" (close)="store.close()">
      @if (store.target(); as job) {
        <form class="modal-body narrow" (submit)="save($event)">
          <h2 id="job-priority-title">Change priority of {{ job.name ?? shortId(job.queue_id) }}</h2>
          <p class="muted">
            Now {{ job.priority }}. Higher runs first. The job keeps its place among jobs of the same priority
            and its age; the scheduler re-places the queue at once.
          </p>
          <ty-form-field controlId="job-priority" label="Priority" [error]="store.error()">
            <input
              tyFieldControl
              name="priority"
              type="text"
              inputmode="numeric"
              autocomplete="off"
              required
              [(ngModel)]="value"
              (ngModelChange)="store.error.set(null)"
            />
          </ty-form-field>
          <div class="modal-actions">
            <button type="button" class="btn" (click)="store.close()">Cancel</button>
            <button type="submit" class="btn btn-primary" [disabled]="store.saving()">Set priority</button>
          </div>
        </form>
      }
    </dialog>
  `,
})
export class PriorityDialogComponent {
  protected readonly store = inject(PriorityChangeStore);
  protected readonly shortId = shortId;
  protected value = '';
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private readonly injector = inject(Injector);

  constructor() {
    effect(() => {
      const dialog = this.dialog().nativeElement;
      const job = this.store.target();
      untracked(() => {
        if (job && !dialog.open) {
          this.value = String(job.priority);
          dialog.showModal();
          afterNextRender(() => dialog.querySelector<HTMLInputElement>('input[name="priority"]')?.select(), {
            injector: this.injector,
          });
        }
        if (!job && dialog.open) dialog.close();
      });
    });
  }

  protected save(event: Event): void {
    event.preventDefault();
    void this.store.save(this.value);
  }
}
