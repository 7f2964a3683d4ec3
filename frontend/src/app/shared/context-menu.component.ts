import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterRenderEffect,
  computed,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { ContextMenuStore, type MenuItem } from '../core/context-menu.store';

/** Renders the open context menu: arrow keys move, Enter runs, Esc or a click elsewhere closes. */
@Component({
  selector: 'ty-context-menu',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: {
    '(document:pointerdown)': 'outside($event)',
    '(window:resize)': 'store.close()',
    '(window:blur)': 'store.close()',
  },
  template: `
    @if (store.menu(); as menu) {
      <div
        #menuEl
        class="menu"
        role="menu"
        tabindex="-1"
        [attr.aria-label]="menu.label"
        [style.left.px]="position().left"
        [style.top.px]="position().top"
        (keydown)="key($event)"
      >
        <div class="menu-label" aria-hidden="true">{{ menu.label }}</div>
        @for (item of menu.items; track item.label) {
          <button
            type="button"
            role="menuitem"
            class="menu-item"
            [class.danger]="item.danger"
            [disabled]="item.disabled"
            [attr.title]="item.title ?? null"
            (click)="run(item)"
          >
            <span>{{ item.label }}</span>
            @if (item.hint) {
              <kbd>{{ item.hint }}</kbd>
            }
          </button>
        }
      </div>
    }
  `,
  styles: `
    .menu {
      position: fixed;
      z-index: 50;
      min-width: 210px;
      padding: 4px;
      border-radius: 6px;
      border: 1px solid var(--border);
      background: var(--surface-raised);
      box-shadow: var(--shadow);
      outline: none;
    }
    .menu-label {
      padding: 3px 8px 5px;
      font-size: 11px;
      color: var(--text-muted);
      border-bottom: 1px solid var(--border);
      margin-bottom: 3px;
      white-space: nowrap;
    }
    .menu-item {
      display: flex;
      justify-content: space-between;
      gap: 16px;
      width: 100%;
      padding: 5px 8px;
      border: 0;
      border-radius: 4px;
      background: transparent;
      color: var(--text);
      font: inherit;
      text-align: left;
      cursor: pointer;
    }
    .menu-item:hover:not(:disabled),
    .menu-item:focus-visible {
      background: color-mix(in srgb, var(--accent) 18%, transparent);
      outline: none;
    }
    .menu-item:disabled {
      color: var(--text-muted);
      opacity: 0.6;
      cursor: default;
    }
    .menu-item.danger {
      color: var(--danger);
    }
  `,
})
export class ContextMenuComponent {
  protected readonly store = inject(ContextMenuStore);
  private readonly menuEl = viewChild<ElementRef<HTMLElement>>('menuEl');
  private readonly size = signal({ width: 220, height: 200 });

  /** Keeps the menu inside the window. */
  protected readonly position = computed(() => {
    const menu = this.store.menu();
    if (!menu) return { left: 0, top: 0 };
    const { width, height } = this.size();
    const left = Math.max(
      4,
      Math.min(menu.x - (menu.x + width > innerWidth ? width : 0), innerWidth - width - 4),
    );
    const top = Math.max(4, Math.min(menu.y, innerHeight - height - 4));
    return { left, top };
  });

  constructor() {
    afterRenderEffect(() => {
      const el = this.menuEl()?.nativeElement;
      if (!el) return;
      const rect = el.getBoundingClientRect();
      if (rect.width !== this.size().width || rect.height !== this.size().height) {
        this.size.set({ width: rect.width, height: rect.height });
      }
      if (!el.contains(document.activeElement)) {
        (el.querySelector<HTMLButtonElement>('.menu-item:not(:disabled)') ?? el).focus();
      }
    });
  }

  protected outside(event: PointerEvent): void {
    const el = this.menuEl()?.nativeElement;
    if (el && !el.contains(event.target as Node)) this.store.close();
  }

  protected run(item: MenuItem): void {
    this.store.close();
    item.action();
  }

  protected key(event: KeyboardEvent): void {
    const el = this.menuEl()?.nativeElement;
    if (!el) return;
    const buttons = [...el.querySelectorAll<HTMLButtonElement>('.menu-item:not(:disabled)')];
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
    switch (event.key) {
      case 'Escape':
      case 'Tab':
        event.preventDefault();
        event.stopPropagation();
        this.store.close();
        break;
      case 'ArrowDown':
        event.preventDefault();
        buttons[(index + 1) % buttons.length]?.focus();
        break;
      case 'ArrowUp':
        event.preventDefault();
        buttons[(index - 1 + buttons.length) % buttons.length]?.focus();
        break;
      case 'Home':
        event.preventDefault();
        buttons[0]?.focus();
        break;
      case 'End':
        event.preventDefault();
        buttons[buttons.length - 1]?.focus();
        break;
    }
  }
}
