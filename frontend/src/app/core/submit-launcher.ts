import { Injectable, signal } from '@angular/core';
import type { JobDto } from '@trainyard/sdk';

/** Opens the submit dialog from anywhere (the New job button, the `n` shortcut, a job's Resubmit, a Services launcher). */
@Injectable({ providedIn: 'root' })
export class SubmitLauncher {
  /** Loads the dialog's chunk the first time it opens. */
  readonly requested = signal(false);
  readonly open = signal(false);
  /** The job whose settings fill the form (resubmit / clone), or null for a fresh form. */
  readonly from = signal<JobDto | null>(null);
  /** The job type to open a fresh form on (a sidebar Services launcher), or null for the last used. */
  readonly type = signal<string | null>(null);

  show(from: JobDto | null = null, type: string | null = null): void {
    this.from.set(from);
    this.type.set(type);
    this.requested.set(true);
    this.open.set(true);
  }

  close(): void {
    this.open.set(false);
  }
}
