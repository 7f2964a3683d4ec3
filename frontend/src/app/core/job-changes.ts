import { effect, inject, type Signal } from '@angular/core';
import { streamJobChanges } from '@trainyard/sdk';
import { STREAM_OPTIONS } from './api';
import { AuthStore } from './auth.store';
import { ConfirmStore } from './confirm.store';
import { LiveStream } from './live-stream';
import { startPolling } from './poll';

/** Without the stream (it failed, the server is restarting) the view polls this often ... */
export const POLL_MS = 2000;
/**
 * ... and with it, this often, but only while `pollWhileLive` says something may change without a
 * job event (pending reasons, a trainer publishing its control endpoint).
 */
export const LIVE_POLL_MS = 5_000;

export interface FollowOptions {
  /** Whether to keep polling while the stream is live; default always. Read before each poll. */
  pollWhileLive?: () => boolean;
  /** While true, loads wait (as behind a confirmation), and one runs when it turns false. */
  hold?: Signal<boolean>;
}

/**
 * Keeps a view of jobs current over `WS /api/jobs/stream`: `load` runs on its first frame (sent on
 * connect, so nothing is missed between the read and the subscription) and after every frame (never
 * two at once; a frame during a load means one more load after it). It polls instead while the
 * stream is down, and while live only as `pollWhileLive` asks. While a confirmation is open (or
 * `hold` is true), loads wait until it closes: the row being asked about (and every row around it)
 * stays where it is behind the dialog. Call in an injection context; returns the function that stops it all.
 */
export function followJobChanges(load: () => Promise<unknown>, options: FollowOptions = {}): () => void {
  let running: Promise<unknown> | null = null;
  let again = false;
  let held = false;
  const confirm = inject(ConfirmStore);
  const reload = (): void => {
    if (confirm.open() || options.hold?.()) {
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
    if (!confirm.open() && !options.hold?.() && held) {
      held = false;
      reload();
    }
  });
  const since = Date.now();
  const stopPolling = startPolling(
    async () => {
      const connection = live.connection();
      // The first connect's frame does the first load; poll only if it is slow to come.
      if (connection === 'connecting' && Date.now() - since < 2 * POLL_MS) return;
      if (connection === 'live' && !(options.pollWhileLive?.() ?? true)) return;
      reload();
    },
    () => (live.connection() === 'live' ? LIVE_POLL_MS : POLL_MS),
  );
  return () => {
    stopPolling();
    resume.destroy();
    live.stop();
  };
}
