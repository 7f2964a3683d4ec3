import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  effect,
  inject,
  input,
  output,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { errorMessage } from '../core/api';

/** What a name prompt asks for, and what it does with the name. */
export interface NamePrompt {
  title: string;
  label: string;
  confirmLabel: string;
  value: string;
  /** Under the field while nothing is wrong. */
  hint: string;
  /** Why a name is refused before anything is sent; by default only an empty one is. */
  check?: (name: string) => string | null;
  /** Does what the name was asked for; throws the server's refusal, which the prompt shows. */
  submit: (name: string) => Promise<void>;
}

let nextId = 0;

/**
 * A modal asking for one name (New file…, Rename…, New config…): open while `request` is set,
 * `closed` when it is done or cancelled. A refusal — `check`'s, or the server's thrown by `submit`
 * (a taken name, outside the roots) — is shown by the field, the name kept to correct; the prompt
 * closes only once `submit` has succeeded. The stem of the value is selected, so typing keeps an
 * extension.
 *
 * ```html
 * <ty-name-prompt [request]="prompt()" (closed)="prompt.set(null)" />
 * ```
 */
@Component({
  selector: 'ty-name-prompt',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { style: 'display: contents' },
  template: `
    <dialog #dialog class="modal" [attr.aria-labelledby]="id + '-title'" (close)="closed.emit()">
      @if (request(); as p) {
        <form class="modal-body name-prompt" (submit)="answer($event, nameInput)">
          <h2 [id]="id + '-title'">{{ p.title }}</h2>
          <div class="field">
            <label [for]="id + '-name'">{{ p.label }}</label>
            <input
              #nameInput
              [id]="id + '-name'"
              class="mono"
              type="text"
              spellcheck="false"
              autocomplete="off"
              [value]="p.value"
              [attr.aria-invalid]="error() ? 'true' : null"
              [attr.aria-describedby]="id + '-hint'"
              (input)="error.set(null)"
            />
            @if (error(); as e) {
              <span [id]="id + '-hint'" class="field-error" role="alert">{{ e }}</span>
            } @else {
              <span [id]="id + '-hint'" class="hint">{{ p.hint }}</span>
            }
          </div>
          <div class="modal-actions">
            <button type="button" class="btn" (click)="dialog.close()">Cancel</button>
            <button type="submit" class="btn btn-primary" [disabled]="busy()">{{ p.confirmLabel }}</button>
          </div>
        </form>
      }
    </dialog>
  `,
  styles: `
    .name-prompt {
      width: min(440px, calc(100vw - 32px));
    }
    .name-prompt input {
      width: 100%;
    }
  `,
})
export class NamePromptComponent {
  private readonly injector = inject(Injector);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');

  readonly request = input<NamePrompt | null>(null);
  readonly closed = output<void>();

  protected readonly id = `name-prompt-${nextId++}`;
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);

  constructor() {
    effect(() => {
      const request = this.request();
      const dialog = this.dialog().nativeElement;
      untracked(() => this.error.set(null));
      if (!request) {
        if (dialog.open) dialog.close();
        return;
      }
      afterNextRender(
        () => {
          if (!dialog.open) dialog.showModal();
          const field = dialog.querySelector('input');
          if (!field) return;
          field.focus();
          const dot = request.value.lastIndexOf('.');
          field.setSelectionRange(0, dot > 0 ? dot : request.value.length);
        },
        { injector: this.injector },
      );
    });
  }

  protected async answer(event: Event, field: HTMLInputElement): Promise<void> {
    event.preventDefault();
    const request = this.request();
    if (!request || this.busy()) return;
    const name = field.value.trim();
    const problem = request.check ? request.check(name) : name ? null : `${request.label} is required`;
    if (problem) {
      this.error.set(problem);
      field.focus();
      return;
    }
    this.busy.set(true);
    try {
      await request.submit(name);
    } catch (err) {
      if (this.request() === request) {
        this.error.set(errorMessage(err));
        field.focus();
      }
      return;
    } finally {
      this.busy.set(false);
    }
    if (this.request() === request) this.dialog().nativeElement.close();
  }
}
