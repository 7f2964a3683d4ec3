import { DOCUMENT, Injectable, computed, effect, inject, signal } from '@angular/core';

export type Theme = 'light' | 'dark';
/** What the user chose: a theme, or `system` to follow the system's `prefers-color-scheme`. */
export type ThemeMode = Theme | 'system';

const STORAGE_KEY = 'trainyard.theme';
/** The toggle's order: every mode, `system` included, is one or two clicks away. */
const NEXT: Record<ThemeMode, ThemeMode> = { light: 'dark', dark: 'system', system: 'light' };

/** Light, dark or the system's: `system` until the user picks one (kept in localStorage). */
@Injectable({ providedIn: 'root' })
export class ThemeStore {
  private readonly document = inject(DOCUMENT);
  private readonly window = this.document.defaultView ?? window;
  private readonly media = this.window.matchMedia('(prefers-color-scheme: light)');
  private readonly systemPrefersLight = signal(this.media.matches);
  private readonly choice = signal<ThemeMode>(this.readChoice());

  /** The chosen mode (`system` follows the system). */
  readonly mode = this.choice.asReadonly();
  /** The theme in effect. */
  readonly theme = computed<Theme>(() => {
    const mode = this.choice();
    return mode !== 'system' ? mode : this.systemPrefersLight() ? 'light' : 'dark';
  });
  /** The mode the next {@link cycle} selects. */
  readonly nextMode = computed(() => NEXT[this.choice()]);

  constructor() {
    this.media.addEventListener('change', (event) => this.systemPrefersLight.set(event.matches));
    effect(() => {
      this.document.documentElement.dataset['theme'] = this.theme();
    });
  }

  /** light → dark → system → light. */
  cycle(): void {
    this.setMode(this.nextMode());
  }

  setMode(mode: ThemeMode): void {
    this.choice.set(mode);
    try {
      if (mode === 'system') this.window.localStorage.removeItem(STORAGE_KEY);
      else this.window.localStorage.setItem(STORAGE_KEY, mode);
    } catch {
      // Storage may be disabled; the choice still holds for this page.
    }
  }

  private readChoice(): ThemeMode {
    try {
      const stored = this.window.localStorage.getItem(STORAGE_KEY);
      return stored === 'light' || stored === 'dark' ? stored : 'system';
    } catch {
      return 'system';
    }
  }
}
