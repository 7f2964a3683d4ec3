import { Injectable, computed, signal } from '@angular/core';

export interface ConfirmRequest {
  title: string;
  message: string;
  /** A consequence easy to miss, shown apart below the message (the queued jobs a kill aborts). */
  warning?: string;
  /** Rows listed under the message, one cell per column (e.g. each process about to be killed). */
  details?: string[][];
  /** Column headings for `details`. */
  detailColumns?: string[];
  confirmLabel: string;
  /**
   * The button that says no; `Cancel` unless given. Give one (`Keep`) when the action itself is a
   * cancel, so the two buttons do not both read "cancel".
   */
  dismissLabel?: string;
  /**
   * Styles the confirm button as destructive. (Focus starts on Cancel for every ask, so an Enter or
   * Space pressed by habit dismisses rather than confirms.)
   */
  danger?: boolean;
}

interface Pending extends ConfirmRequest {
  resolve: (ok: boolean) => void;
}

/**
 * One modal question at a time; `ask` resolves true when confirmed, false when dismissed. While one
 * is open (`open`), live views hold their updates, so rows do not move behind it.
 */
@Injectable({ providedIn: 'root' })
export class ConfirmStore {
  private readonly state = signal<Pending | null>(null);
  readonly pending = this.state.asReadonly();
  readonly open = computed(() => this.state() !== null);

  ask(request: ConfirmRequest): Promise<boolean> {
    this.state()?.resolve(false);
    return new Promise<boolean>((resolve) => this.state.set({ ...request, resolve }));
  }

  answer(ok: boolean): void {
    const pending = this.state();
    if (!pending) return;
    this.state.set(null);
    pending.resolve(ok);
  }
}
