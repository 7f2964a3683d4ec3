import { Injectable, inject, signal } from '@angular/core';
import { SERVER_DID_NOT_ANSWER, ServerReachability } from './api';

export type ToastKind = 'error' | 'info' | 'success';

/** A button on a toast (e.g. Undo); pressing it runs `run` and dismisses the toast. */
export interface ToastAction {
  label: string;
  run: () => void;
}

export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
  action?: ToastAction;
}

const LIFETIME_MS: Record<ToastKind, number> = { error: 8000, info: 3500, success: 4000 };
const MAX_TOASTS = 4;
const ACTION_EXTRA_MS = 4000;

/** Short notices in a corner: failures carry the server's `message`. */
@Injectable({ providedIn: 'root' })
export class ToastStore {
  private nextId = 1;
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();
  private readonly state = signal<Toast[]>([]);
  readonly toasts = this.state.asReadonly();
  private readonly reachability = inject(ServerReachability);

  /** A failure; "the server did not answer" during an outage is left to the shell's outage banner. */
  error(message: string): void {
    if (message === SERVER_DID_NOT_ANSWER && !this.reachability.reachable()) return;
    this.show('error', message);
  }
  /** With an action (Undo), the toast stays a little longer so there is time to press it. */
  info(message: string, action?: ToastAction): void {
    this.show('info', message, action);
  }
  success(message: string): void {
    this.show('success', message);
  }

  dismiss(id: number): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.state.update((list) => list.filter((t) => t.id !== id));
  }

  /** Keeps a toast up while the pointer or focus is on it. */
  hold(id: number): void {
    clearTimeout(this.timers.get(id));
  }
  release(id: number): void {
    const toast = this.state().find((t) => t.id === id);
    if (toast) this.arm(toast);
  }

  /** Runs a toast's action once and dismisses the toast. */
  act(id: number): void {
    const toast = this.state().find((t) => t.id === id);
    this.dismiss(id);
    toast?.action?.run();
  }

  private show(kind: ToastKind, message: string, action?: ToastAction): void {
    // The same message twice in a row (a poll failing every 2 s) stays one toast.
    const same = this.state().find((t) => t.kind === kind && t.message === message && !t.action && !action);
    if (same) {
      this.arm(same);
      return;
    }
    const toast: Toast = { id: this.nextId++, kind, message, ...(action ? { action } : {}) };
    this.state.update((list) => [...list, toast].slice(-MAX_TOASTS));
    this.arm(toast);
  }

  private arm(toast: Toast): void {
    clearTimeout(this.timers.get(toast.id));
    this.timers.set(
      toast.id,
      setTimeout(
        () => this.dismiss(toast.id),
        LIFETIME_MS[toast.kind] + (toast.action ? ACTION_EXTRA_MS : 0),
      ),
    );
  }
}
