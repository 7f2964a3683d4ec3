import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  effect,
  inject,
  viewChild,
} from '@angular/core';
import { ConfirmStore } from '../core/confirm.store';

/**
 * The modal for `ConfirmStore.ask`: Esc, Cancel or a click outside says no. Focus starts on Cancel
 * for every ask, destructive or not (each starts work: a kill, a retry, a delete): an Enter pressed
 * by habit dismisses; confirming takes Tab to the button, or a click.
 */
@Component({
  selector: 'ty-confirm-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <dialog
      #dialog
      class="modal"
      aria-labelledby="confirm-title"
      (close)="store.answer(false)"
      (click)="backdrop($event)"
    >
      @if (store.pending(); as ask) {
        <form
          method="dialog"
          class="modal-body"
          [class.wide]="!!ask.details?.length"
          (submit)="confirm($event)"
        >
          <h2 id="confirm-title">{{ ask.title }}</h2>
          <p class="confirm-message">{{ ask.message }}</p>
          @if (ask.warning) {
            <p class="confirm-warning" role="note">{{ ask.warning }}</p>
          }
          @if (ask.details?.length) {
            <div class="confirm-details">
              <table class="mono">
                @if (ask.detailColumns) {
                  <thead>
                    <tr>
                      @for (c of ask.detailColumns; track $index) {
                        <th>{{ c }}</th>
                      }
                    </tr>
                  </thead>
                }
                <tbody>
                  @for (row of ask.details; track $index) {
                    <tr>
                      @for (cell of row; track $index) {
                        <td [title]="cell">{{ cell }}</td>
                      }
                    </tr>
                  }
                </tbody>
              </table>
            </div>
          }
          <div class="modal-actions">
            <button type="button" class="btn" data-confirm="cancel" (click)="store.answer(false)" autofocus>
              {{ ask.dismissLabel ?? 'Cancel' }}
            </button>
            <button
              type="submit"
              data-confirm="ok"
              class="btn"
              [class.btn-danger]="ask.danger"
              [class.btn-primary]="!ask.danger"
            >
              {{ ask.confirmLabel }}
            </button>
          </div>
        </form>
      }
    </dialog>
  `,
  styles: `
    .confirm-message {
      margin: 0 0 10px;
      color: var(--text-muted);
    }
    .confirm-warning {
      margin: 0 0 10px;
      color: var(--danger, #c62828);
    }
    .confirm-details {
      margin: 0 0 12px;
      padding: 6px 10px;
      max-height: 240px;
      overflow: auto;
      background: var(--bg);
      border: 1px solid var(--border);
      border-radius: 5px;
    }
    table {
      border-collapse: collapse;
      width: 100%;
    }
    th {
      text-align: left;
      font-weight: 600;
      color: var(--text-muted);
      padding: 2px 14px 4px 0;
    }
    td {
      padding: 2px 14px 2px 0;
      white-space: nowrap;
      vertical-align: top;
    }
    /* The last column (a job's name, a command) wraps instead of being cut off at the box's edge. */
    td:last-child {
      white-space: normal;
      overflow-wrap: anywhere;
      min-width: 12ch;
    }
    .modal-body.wide {
      width: min(760px, calc(100vw - 32px));
    }
  `,
})
export class ConfirmDialogComponent {
  protected readonly store = inject(ConfirmStore);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private readonly injector = inject(Injector);

  constructor() {
    effect(() => {
      const dialog = this.dialog().nativeElement;
      const ask = this.store.pending();
      if (ask && !dialog.open) {
        dialog.showModal();
        // The buttons render after showModal, so `autofocus` alone comes too late: focus explicitly.
        afterNextRender(() => dialog.querySelector<HTMLElement>('[data-confirm="cancel"]')?.focus(), {
          injector: this.injector,
        });
      }
      if (!ask && dialog.open) dialog.close();
    });
  }

  protected confirm(event: Event): void {
    event.preventDefault();
    this.store.answer(true);
  }

  /** A click on the backdrop (the dialog element itself, outside its body) dismisses. */
  protected backdrop(event: MouseEvent): void {
    if (event.target === this.dialog().nativeElement) this.store.answer(false);
  }
}
