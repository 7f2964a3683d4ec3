import { Injectable, signal } from '@angular/core';

/** Opens the submit dialog from anywhere (the New job button, the `n` shortcut). */
@Injectable({ providedIn: 'root' })
export class SubmitLauncher {
  /** Loads the dialog's chunk the first time it opens. */
  readonly requested = signal(false);
  readonly open = signal(false);

  show(): void {
    this.requested.set(true);
    this.open.set(true);
  }

  close(): void {
    this.open.set(false);
  }
}
