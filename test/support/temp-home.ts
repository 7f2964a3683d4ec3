import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The module itself, not the @trainyard/core barrel: nearly every suite makes a temp home, and the
// barrel costs ~0.5–1 s of loading in each suite that would not load it otherwise.
// eslint-disable-next-line no-restricted-imports -- a leaf module (node: imports only), see above
import { parentCgroupOf, removeCgroup } from '../../libs/core/src/process/cgroup';

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
