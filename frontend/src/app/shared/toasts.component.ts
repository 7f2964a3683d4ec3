import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { ToastStore } from '../core/toast.store';
import { ServerTextComponent } from './server-text.component';

/** The corner where toasts appear; errors are announced assertively, the rest politely. */
@Component({
  selector: 'ty-toasts',
  imports: [ServerTextComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="toasts" aria-live="polite">
      @for (toast of store.toasts(); track toast.id) {
        <div
          class="toast"
          [class]="'toast toast-' + toast.kind"
          [attr.role]="toast.kind === 'error' ? 'alert' : 'status'"
          (mouseenter)="store.hold(toast.id)"
          (mouseleave)="store.release(toast.id)"
        >
          <span class="toast-mark" aria-hidden="true">{{
            toast.kind === 'error' ? '!' : toast.kind === 'success' ? '✓' : 'i'
          }}</span>
          <!-- A server's reason in it (a submit that waits) quotes commands in backticks: code. -->
          <span class="toast-text"><ty-server-text [text]="toast.message" [linkJobs]="false" /></span>
          @if (toast.action; as action) {
            <button type="button" class="btn btn-ghost toast-action" (click)="store.act(toast.id)">
              {{ action.label }}
            </button>
          }
          <button type="button" class="toast-close" aria-label="Dismiss" (click)="store.dismiss(toast.id)">
            ×
          </button>
        </div>
      }
    </div>
  `,
  styles: `
    .toasts {
      position: fixed;
      right: 16px;
      bottom: 16px;
      z-index: 60;
      display: grid;
      gap: 8px;
      width: min(380px, calc(100vw - 32px));
      pointer-events: none;
    }
    .toast {
      pointer-events: auto;
      display: grid;
      /* mark, text, then the optional action and the close button */
      grid-template-columns: 18px 1fr;
      grid-auto-flow: column;
      grid-auto-columns: auto;
      align-items: start;
      gap: 8px;
      padding: 8px 8px 8px 10px;
      border-radius: 6px;
      border: 1px solid var(--border);
      border-left-width: 3px;
      background: var(--surface-raised);
      box-shadow: var(--shadow);
      animation: toast-in 120ms ease-out;
    }
    .toast-error {
      border-left-color: var(--danger);
    }
    .toast-success {
      border-left-color: var(--ok);
    }
    .toast-info {
      border-left-color: var(--accent);
    }
    .toast-mark {
      width: 18px;
      height: 18px;
      border-radius: 50%;
      display: grid;
      place-items: center;
      font-size: 11px;
      font-weight: 700;
      background: var(--border);
    }
    .toast-error .toast-mark {
      background: var(--danger);
      color: var(--bg);
    }
    .toast-action {
      padding: 2px 8px;
      font-weight: 600;
    }
    .toast-text {
      overflow-wrap: anywhere;
      /* A message of several lines (one per job a GPU kill stopped) keeps them. */
      white-space: pre-line;
      padding-top: 1px;
    }
    .toast-close {
      border: 0;
      background: transparent;
      color: var(--text-muted);
      font-size: 16px;
      line-height: 1;
      cursor: pointer;
      padding: 0 4px;
    }
    @keyframes toast-in {
      from {
        transform: translateY(6px);
        opacity: 0;
      }
    }
  `,
})
export class ToastsComponent {
  protected readonly store = inject(ToastStore);
}
