import { Injectable, inject, signal } from '@angular/core';
import { type JobDto, holdQueueItem, releaseQueueItem } from '@trainyard/sdk';
import { API, errorMessage } from './api';
import { ToastStore } from './toast.store';

/** The job being held or released, as it was when asked. */
export type HoldTarget = Pick<JobDto, 'queue_id' | 'name' | 'held'>;

/**
 * Hold / Release of a queued job (Queue view, Jobs row ⋯ menu): POST /api/queue/{id}/hold keeps it
 * from starting, in its place, until POST /api/queue/{id}/release. The lists follow through the jobs
 * stream, as for any job change; `busy` names the jobs with a request in flight.
 */
@Injectable({ providedIn: 'root' })
export class HoldStore {
  private readonly api = inject(API);
  private readonly toasts = inject(ToastStore);

  readonly busy = signal<ReadonlySet<string>>(new Set());

  /** Holds a job not held, releases a held one; resolves true once done (else a toast says why). */
  async toggle(job: HoldTarget): Promise<boolean> {
    if (this.busy().has(job.queue_id)) return false;
    const hold = !job.held;
    this.busy.update((ids) => new Set([...ids, job.queue_id]));
    try {
      const call = hold ? holdQueueItem : releaseQueueItem;
      await call({ client: this.api, path: { queue_id: job.queue_id } });
      const name = job.name ?? job.queue_id;
      this.toasts.info(
        hold
          ? `${name} is held: it stays queued, in its place, until released.`
          : `${name} released: it may start.`,
      );
      return true;
    } catch (err) {
      // A 409 names the status the job has reached meanwhile.
      this.toasts.error(errorMessage(err));
      return false;
    } finally {
      this.busy.update((ids) => new Set([...ids].filter((id) => id !== job.queue_id)));
    }
  }
}
