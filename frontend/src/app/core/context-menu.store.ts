import { Injectable, signal } from '@angular/core';

export interface MenuItem {
  label: string;
  action: () => void;
  danger?: boolean;
  disabled?: boolean;
  /** A tooltip, e.g. why the item is disabled. */
  title?: string;
  /** A short hint shown on the right (e.g. a shortcut). */
  hint?: string;
}

export interface OpenMenu {
  x: number;
  y: number;
  label: string;
  items: MenuItem[];
  /** Gets focus back when the menu closes (the ⋯ button that opened it). */
  returnFocus: HTMLElement | null;
}

/** The one context menu of the console (right-click, or a ⋯ button for keyboard users). */
@Injectable({ providedIn: 'root' })
export class ContextMenuStore {
  private readonly state = signal<OpenMenu | null>(null);
  readonly menu = this.state.asReadonly();

  /** Opens at the pointer for a contextmenu event, under the element for a click or key press. */
  open(event: MouseEvent | KeyboardEvent, label: string, items: MenuItem[]): void {
    event.preventDefault();
    event.stopPropagation();
    const target = event.currentTarget instanceof HTMLElement ? event.currentTarget : null;
    let x: number;
    let y: number;
    if (event instanceof MouseEvent && event.type === 'contextmenu') {
      x = event.clientX;
      y = event.clientY;
    } else {
      const rect = (target ?? document.body).getBoundingClientRect();
      x = rect.right;
      y = rect.bottom + 2;
    }
    const returnFocus =
      event.type === 'contextmenu' ? (document.activeElement as HTMLElement | null) : target;
    this.state.set({ x, y, label, items, returnFocus });
  }

  close(): void {
    const menu = this.state();
    if (!menu) return;
    this.state.set(null);
    menu.returnFocus?.focus?.();
  }
}
