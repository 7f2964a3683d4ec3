import { ChangeDetectionStrategy, Component, ElementRef, effect, model, viewChild } from '@angular/core';
import { SHORTCUT_GROUPS } from '../core/shortcuts';

/** The `?` overlay: every keyboard shortcut. */
@Component({
  selector: 'ty-help-overlay',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <dialog
      #dialog
      class="modal"
      aria-labelledby="help-title"
      (close)="open.set(false)"
      (click)="backdrop($event)"
    >
      <div class="modal-body help">
        <div class="modal-head">
          <h2 id="help-title">Keyboard shortcuts</h2>
          <button type="button" class="btn btn-ghost btn-icon" aria-label="Close" (click)="open.set(false)">
            ×
          </button>
        </div>
        <div class="groups">
          @for (group of groups; track group.title) {
            <section>
              <h3>{{ group.title }}</h3>
              <dl>
                @for (s of group.shortcuts; track s.does) {
                  <dt>
                    @for (k of s.keys; track $index) {
                      <kbd>{{ k }}</kbd>
                    }
                  </dt>
                  <dd>{{ s.does }}</dd>
                }
              </dl>
            </section>
          }
        </div>
        <p class="muted tip">Right-click a GPU card or a job row (or use its ⋯ button) for more actions.</p>
      </div>
    </dialog>
  `,
  styles: `
    .help {
      width: min(620px, calc(100vw - 32px));
    }
    .groups {
      display: grid;
      grid-template-columns: 1fr 1fr;
      gap: 20px;
    }
    h3 {
      font-size: 11px;
      text-transform: uppercase;
      letter-spacing: 0.06em;
      color: var(--text-muted);
      margin: 0 0 6px;
    }
    dl {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 6px 12px;
      margin: 0;
      align-items: center;
    }
    dt {
      display: flex;
      gap: 3px;
    }
    dd {
      margin: 0;
    }
    .tip {
      margin: 16px 0 0;
    }
  `,
})
export class HelpOverlayComponent {
  readonly open = model(false);
  protected readonly groups = SHORTCUT_GROUPS;
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');

  constructor() {
    effect(() => {
      const dialog = this.dialog().nativeElement;
      if (this.open() && !dialog.open) dialog.showModal();
      if (!this.open() && dialog.open) dialog.close();
    });
  }

  protected backdrop(event: MouseEvent): void {
    if (event.target === this.dialog().nativeElement) this.open.set(false);
  }
}
