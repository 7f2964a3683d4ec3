import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentCgroupOf, removeCgroup } from '@trainyard/core';

/**
 * A fresh TRAINYARD_HOME under the temp dir. `remove()` retries: a job's monitor outlives a stopped
 * server by design and may still be writing the job's exit file while the directory is removed.
 * It also removes the parent cgroup a server made for the directory (a killed server leaves it
 * behind for its next start, which never comes: a thousand runs left a thousand), unless a process
 * of its jobs is still in it.
 */
export function makeTempHome(prefix = 'trainyard-test-'): { home: string; remove: () => void } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  return {
    home,
    remove: () => {
      rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      const cgroup = parentCgroupOf({ setting: null, stateDir: home });
      if ('parent' in cgroup) removeCgroup(cgroup.parent);
    },
  };
}
