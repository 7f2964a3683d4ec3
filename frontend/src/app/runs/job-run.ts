import { type Signal, effect, inject, signal } from '@angular/core';
import { type RunDto, listRuns } from '@trainyard/sdk';
import { API, errorMessage } from '../core/api';
import { startPolling } from '../core/poll';

const POLL_MS = 3000;

/** What is known of a job's run: the run once found, whether a lookup has answered, the last error. */
export interface JobRunLookup {
  readonly run: Signal<RunDto | null>;
  readonly searched: Signal<boolean>;
  readonly error: Signal<string | null>;
}

/**
 * Finds a job's run (`GET /api/runs?job=`) and keeps it current: re-reads it every 3 s until it is
 * found and while it is `running`; stops once it has finished, or when none is found and `active()`
 * (the job may still write: queued, starting or running) is false. Call in an injection context;
 * a new `jobId()` starts over.
 */
export function watchJobRun(jobId: () => string, active: () => boolean): JobRunLookup {
  const api = inject(API);
  const run = signal<RunDto | null>(null);
  const searched = signal(false);
  const error = signal<string | null>(null);
  effect((onCleanup) => {
    const id = jobId();
    run.set(null);
    searched.set(false);
    let stop = () => undefined as void;
    stop = startPolling(async () => {
      try {
        const { data } = await listRuns({ client: api, query: { job: id } });
        const found = data[0] ?? null;
        // Same status and id: keep the object, so the charts do not reload.
        const prev = run();
        if (!prev || !found || prev.run_id !== found.run_id || prev.status !== found.status) run.set(found);
        error.set(null);
        if (found ? found.status !== 'running' : !active()) stop();
      } catch (err) {
        error.set(errorMessage(err));
      } finally {
        searched.set(true);
      }
    }, POLL_MS);
    onCleanup(() => stop());
  });
  return { run: run.asReadonly(), searched: searched.asReadonly(), error: error.asReadonly() };
}
