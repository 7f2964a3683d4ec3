import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The modules themselves, not the @trainyard/core barrel: nearly every suite makes a temp home, and
// the barrel costs ~0.5–1 s of loading in each suite that would not load it otherwise.
// eslint-disable-next-line no-restricted-imports -- a leaf module (node: imports only), see above
import { killCgroup, parentCgroupOf, removeCgroup } from '../../libs/core/src/process/cgroup';
// eslint-disable-next-line no-restricted-imports -- a leaf module (node: imports only), see above
import { signalAll, taggedProcesses } from '../../libs/core/src/process/proc';

/**
 * A fresh TRAINYARD_HOME under the temp dir. `remove()` first SIGKILLs whatever still runs for the
 * directory: jobs (and their monitors) outlive a stopped server by design, and one still writing
 * its log or exit file into the directory made its removal fail (ENOTEMPTY, on a loaded CI host).
 * They are found through the parent cgroup a server made for the directory, and by their
 * environment (`TRAINYARD_HOME`, which servers, launchers, monitors and jobs all carry) where the
 * host has no cgroups. Then the directory and that cgroup are removed (a killed server leaves the
 * cgroup behind for its next start, which never comes: a thousand runs left a thousand).
 */
export function makeTempHome(prefix = 'trainyard-test-'): { home: string; remove: () => void } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const cgroup = () => {
    const found = parentCgroupOf({ setting: null, stateDir: home });
    return 'parent' in found ? found.parent : null;
  };
  return {
    home,
    remove: () => {
      const parent = cgroup();
      if (parent) killCgroup(parent);
      signalAll(
        taggedProcesses({ TRAINYARD_HOME: home }).map((p) => p.pid),
        'SIGKILL',
      );
      rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      if (parent) removeCgroup(parent);
    },
  };
}
