import { DOCUMENT, Injectable, computed, effect, inject, signal } from '@angular/core';

export type Theme = 'light' | 'dark';

const STORAGE_KEY = 'trainyard.theme';

/** Light or dark: the system's `prefers-color-scheme` until the user picks one (kept in localStorage). */
@Injectable({ providedIn: 'root' })
export class ThemeStore {
  private readonly document = inject(DOCUMENT);
  private readonly window = this.document.defaultView ?? window;
  private readonly media = this.window.matchMedia('(prefers-color-scheme: light)');
  private readonly systemPrefersLight = signal(this.media.matches);
  private readonly choice = signal<Theme | null>(this.readChoice());

  readonly theme = computed<Theme>(() => this.choice() ?? (this.systemPrefersLight() ? 'light' : 'dark'));

  constructor() {
    this.media.addEventListener('change', (event) => this.systemPrefersLight.set(event.matches));
    effect(() => {
      this.document.documentElement.dataset['theme'] = this.theme();
    });
  }

  toggle(): void {
    const next: Theme = this.theme() === 'dark' ? 'light' : 'dark';
    this.choice.set(next);
    try {
      this.window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Storage may be disabled; the choice still holds for this page.
    }
  }

  private readChoice(): Theme | null {
    try {
      const stored = this.window.localStorage.getItem(STORAGE_KEY);
      return stored === 'light' || stored === 'dark' ? stored : null;
    } catch {
      return null;
    }
  }
}
