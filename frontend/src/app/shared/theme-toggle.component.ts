import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { ThemeStore, type ThemeMode } from '../core/theme.store';

const NAMES: Record<ThemeMode, string> = { light: 'light', dark: 'dark', system: 'system' };

/** One button that cycles the theme light → dark → system, its icon showing the mode now in use. */
@Component({
  selector: 'ty-theme-toggle',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <button
      type="button"
      class="btn btn-ghost btn-icon"
      [attr.aria-label]="label()"
      [attr.data-theme-mode]="themes.mode()"
      [title]="label()"
      (click)="themes.cycle()"
    >
      <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
        @switch (themes.mode()) {
          @case ('light') {
            <circle cx="8" cy="8" r="3.2" fill="currentColor" />
            <path
              d="M8 1v2M8 13v2M1 8h2M13 8h2M3 3l1.4 1.4M11.6 11.6L13 13M3 13l1.4-1.4M11.6 4.4L13 3"
              stroke="currentColor"
              stroke-width="1.4"
              stroke-linecap="round"
            />
          }
          @case ('dark') {
            <path d="M13.5 10.2A6 6 0 0 1 5.8 2.5a6 6 0 1 0 7.7 7.7z" fill="currentColor" />
          }
          @default {
            <!-- A screen: follows the system. -->
            <rect
              x="1.5"
              y="2.5"
              width="13"
              height="9"
              rx="1.2"
              fill="none"
              stroke="currentColor"
              stroke-width="1.4"
            />
            <path d="M8 2.5v9" stroke="currentColor" stroke-width="1.2" />
            <path d="M8 3.2h5.8v7.6H8z" fill="currentColor" />
            <path d="M5.5 14h5" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" />
          }
        }
      </svg>
    </button>
  `,
})
export class ThemeToggleComponent {
  protected readonly themes = inject(ThemeStore);
  protected readonly label = computed(() => {
    const now =
      this.themes.mode() === 'system' ? `system (${this.themes.theme()})` : NAMES[this.themes.mode()];
    return `Theme: ${now}. Switch to ${NAMES[this.themes.nextMode()]}`;
  });
}
