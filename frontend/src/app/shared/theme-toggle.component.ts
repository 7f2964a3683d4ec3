import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { ThemeStore } from '../core/theme.store';

@Component({
  selector: 'ty-theme-toggle',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <button
      type="button"
      class="btn btn-ghost btn-icon"
      [attr.aria-label]="label()"
      [title]="label()"
      (click)="themes.toggle()"
    >
      <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
        @if (themes.theme() === 'dark') {
          <circle cx="8" cy="8" r="3.2" fill="currentColor" />
          <path
            d="M8 1v2M8 13v2M1 8h2M13 8h2M3 3l1.4 1.4M11.6 11.6L13 13M3 13l1.4-1.4M11.6 4.4L13 3"
            stroke="currentColor"
            stroke-width="1.4"
            stroke-linecap="round"
          />
        } @else {
          <path d="M13.5 10.2A6 6 0 0 1 5.8 2.5a6 6 0 1 0 7.7 7.7z" fill="currentColor" />
        }
      </svg>
    </button>
  `,
})
export class ThemeToggleComponent {
  protected readonly themes = inject(ThemeStore);
  protected readonly label = computed(() =>
    this.themes.theme() === 'dark' ? 'Switch to light theme' : 'Switch to dark theme',
  );
}
