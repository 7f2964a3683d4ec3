import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh TRAINYARD_HOME under the temp dir. `remove()` retries: a job's monitor outlives a stopped
 * server by design and may still be writing the job's exit file while the directory is removed.
 */
export function makeTempHome(prefix = 'trainyard-test-'): { home: string; remove: () => void } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  return {
    home,
    remove: () => rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }),
  };
}
