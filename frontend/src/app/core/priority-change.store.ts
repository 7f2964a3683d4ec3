import { Injectable, inject, signal } from '@angular/core';
import { type JobDto, changeQueuePriority } from '@trainyard/sdk';
import { API, errorMessage, fieldErrors } from './api';
import { parsePriority, PRIORITY_RANGE } from './numbers';
import { ToastStore } from './toast.store';

/** The job whose priority is being changed, as it was when asked. */
export type PriorityTarget = Pick<JobDto, 'queue_id' | 'name' | 'priority'>;

/**
 * "Change priority…" of a queued job (Queue view, Jobs row ⋯ menu): one dialog at a time. The new
 * value is checked here first (the server's bounds), then sent as PATCH /api/queue/{id}; the lists
 * follow through the jobs stream, as for any job change.
 */
@Injectable({ providedIn: 'root' })
export class PriorityChangeStore {
  private readonly api = inject(API);
  private readonly toasts = inject(ToastStore);

  readonly target = signal<PriorityTarget | null>(null);
  readonly error = signal<string | null>(null);
  readonly saving = signal(false);

  ask(job: PriorityTarget): void {
    this.error.set(null);
    this.target.set({ queue_id: job.queue_id, name: job.name, priority: job.priority });
  }

  close(): void {
    this.target.set(null);
    this.error.set(null);
  }

  /** Sends `text` as the new priority; resolves true once changed (the dialog then closes). */
  async save(text: string): Promise<boolean> {
    const job = this.target();
    if (!job || this.saving()) return false;
    const priority = parsePriority(text);
    if (priority === null) {
      this.error.set(
        `Priority must be ${PRIORITY_RANGE.charAt(0).toLowerCase()}${PRIORITY_RANGE.slice(1)}, e.g. 10 or -5.`,
      );
      return false;
    }
    this.saving.set(true);
    try {
      const { data } = await changeQueuePriority({
        client: this.api,
        path: { queue_id: job.queue_id },
        body: { priority },
      });
      const name = job.name ?? job.queue_id;
      this.toasts.info(
        data.priority === job.priority
          ? `${name} keeps priority ${data.priority}.`
          : `${name}: priority ${job.priority} → ${data.priority}.`,
      );
      this.close();
      return true;
    } catch (err) {
      // A 400 names the field (priority); a 409 names the status the job has reached meanwhile.
      const fields = fieldErrors(err);
      this.error.set(fields['priority'] ? `Priority: ${fields['priority']}` : errorMessage(err));
      return false;
    } finally {
      this.saving.set(false);
    }
  }
}
