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

  /**
   * The stylesheet's colour variables (`--border` …) as `rgb(…)` strings under `theme`, for what
   * draws outside CSS (a canvas chart). A probe element with that colour scheme resolves their
   * `light-dark()`, so the stylesheet stays their one source.
   */
  colors<K extends string>(theme: Theme, variables: Record<K, `--${string}`>): Record<K, string> {
    const probe = this.document.createElement('span');
    probe.style.colorScheme = theme;
    probe.style.display = 'none';
    this.document.body.appendChild(probe);
    try {
      const out = {} as Record<K, string>;
      for (const key of Object.keys(variables) as K[]) {
        probe.style.color = `var(${variables[key]})`;
        out[key] = this.window.getComputedStyle(probe).color;
      }
      return out;
    } finally {
      probe.remove();
    }
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
