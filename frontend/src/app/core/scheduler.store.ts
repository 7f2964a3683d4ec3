import { Injectable, inject, signal } from '@angular/core';
import { type SchedulerStatusDto, getScheduler, setScheduler } from '@trainyard/sdk';
import { API, errorMessage } from './api';
import { ToastStore } from './toast.store';

/** GET/POST /api/queue/scheduler: shown in the sidebar and the queue view. */
@Injectable({ providedIn: 'root' })
export class SchedulerStore {
  private readonly api = inject(API);
  private readonly toasts = inject(ToastStore);

  readonly status = signal<SchedulerStatusDto | null>(null);
  readonly loading = signal(false);
  readonly error = signal<string | null>(null);
  readonly busy = signal(false);

  async load(): Promise<void> {
    this.loading.set(true);
    try {
      this.status.set((await getScheduler({ client: this.api })).data);
      this.error.set(null);
    } catch (err) {
      this.error.set(errorMessage(err));
    } finally {
      this.loading.set(false);
    }
  }

  async setEnabled(enabled: boolean): Promise<void> {
    if (this.busy()) return;
    this.busy.set(true);
    try {
      this.status.set((await setScheduler({ client: this.api, body: { enabled } })).data);
      this.toasts.info(
        enabled ? 'Scheduler resumed: queued work starts again.' : 'Scheduler paused: running jobs continue.',
      );
    } catch (err) {
      this.toasts.error(errorMessage(err));
    } finally {
      this.busy.set(false);
    }
  }

  toggle(): Promise<void> {
    return this.setEnabled(!(this.status()?.enabled ?? true));
  }
}
