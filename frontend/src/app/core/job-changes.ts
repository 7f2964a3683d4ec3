import { effect, inject } from '@angular/core';
import { streamJobChanges } from '@trainyard/sdk';
import { STREAM_OPTIONS } from './api';
import { AuthStore } from './auth.store';
import { ConfirmStore } from './confirm.store';
import { LiveStream } from './live-stream';
import { startPolling } from './poll';

/** Without the stream (connecting, server restarting) the view polls this often ... */
export const POLL_MS = 2000;
/**
 * ... and with it, this often: for what changes without a job event (pending reasons, a kill's
 * error, a trainer publishing its control endpoint, which brings the trainer buttons).
 */
export const LIVE_POLL_MS = 5_000;

/**
 * Keeps a view of jobs current: `load` runs at once, after every frame of `WS /api/jobs/stream`
 * (never two at once; a frame during a load means one more load after it), and on a slow poll.
 * While a confirmation is open, loads wait until it closes: the row being asked about (and every
 * row around it) stays where it is behind the dialog.
 * Call in an injection context; returns the function that stops it all.
 */
export function followJobChanges(load: () => Promise<unknown>): () => void {
  let running: Promise<unknown> | null = null;
  let again = false;
  let held = false;
  const confirm = inject(ConfirmStore);
  const reload = (): void => {
    if (confirm.open()) {
      held = true;
      return;
    }
    if (running) {
      again = true;
      return;
    }
    running = load()
      .catch(() => undefined)
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          reload();
        }
      });
  };
  const live = new LiveStream(inject(AuthStore), (onFrame) =>
    streamJobChanges(STREAM_OPTIONS, () => {
      onFrame();
      reload();
    }),
  );
  live.start();
  const resume = effect(() => {
    if (!confirm.open() && held) {
      held = false;
      reload();
    }
  });
  const stopPolling = startPolling(
    async () => reload(),
    () => (live.connection() === 'live' ? LIVE_POLL_MS : POLL_MS),
  );
  return () => {
    stopPolling();
    resume.destroy();
    live.stop();
  };
}
