/**
 * Runs `task` now and then `intervalMs` after each run ends (never two at once); skips runs while
 * the tab is hidden. Returns a stop function. `intervalMs` may be a function, read before each wait.
 */
export function startPolling(task: () => Promise<unknown>, intervalMs: number | (() => number)): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async (): Promise<void> => {
    if (stopped) return;
    if (!document.hidden) {
      try {
        await task();
      } catch {
        // the task reports its own errors
      }
    }
    if (!stopped)
      timer = setTimeout(() => void run(), typeof intervalMs === 'number' ? intervalMs : intervalMs());
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Reconnect delay after `attempt` consecutive failures: 0.5 s, 1 s, 2 s ... up to 15 s, with jitter. */
export function backoffMs(attempt: number): number {
  const base = Math.min(15_000, 500 * 2 ** attempt);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
