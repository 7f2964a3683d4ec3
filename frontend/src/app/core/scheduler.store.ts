import { Injectable, inject, signal } from '@angular/core';
import { type SchedulerStatusDto, getScheduler, setScheduler } from '@trainyard/sdk';
import { API, errorMessage } from './api';
import { NewestAnswer } from './newest-answer';
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
  /** Loads overlap (the queue view reloads on every job event), and a toggle answers with the status too. */
  private readonly answers = new NewestAnswer();

  async load(): Promise<void> {
    this.loading.set(true);
    const ticket = this.answers.begin();
    try {
      const { data } = await getScheduler({ client: this.api });
      if (!this.answers.accept(ticket)) return;
      this.status.set(data);
      this.error.set(null);
    } catch (err) {
      if (this.answers.accept(ticket)) this.error.set(errorMessage(err));
    } finally {
      this.loading.set(false);
    }
  }

  async setEnabled(enabled: boolean): Promise<void> {
    if (this.busy()) return;
    this.busy.set(true);
    const ticket = this.answers.begin();
    try {
      const { data } = await setScheduler({ client: this.api, body: { enabled } });
      if (this.answers.accept(ticket)) this.status.set(data);
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
