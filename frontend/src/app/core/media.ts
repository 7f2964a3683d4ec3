import { DestroyRef, inject, signal, type Signal } from '@angular/core';

/**
 * A phone-sized window: the Queue and Jobs tables keep their essential columns and show the rest
 * (the waiting reason, how a job ended) under the job's name.
 */
export const PHONE_QUERY = '(max-width: 639.98px)';

/**
 * Whether the window matches a CSS media query, as a signal that follows it. Call in an injection
 * context: it stops listening when that context is destroyed.
 */
export function mediaQuery(query: string): Signal<boolean> {
  const list = window.matchMedia(query);
  const matches = signal(list.matches);
  const onChange = (event: MediaQueryListEvent) => matches.set(event.matches);
  list.addEventListener('change', onChange);
  inject(DestroyRef).onDestroy(() => list.removeEventListener('change', onChange));
  return matches.asReadonly();
}
