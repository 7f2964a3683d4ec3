import { mkdtempSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobCgroupDir, setUpProcessTracking } from '@trainyard/core';
import { Launched, LauncherClient, LaunchRequest } from './launcher-client';

/** Launches `script` (sh -c) through a real launcher; resolves with the start and the exit status. */
async function launch(dir: string, script: string, cgroup: string | null) {
  let exited!: (status: number | null) => void;
  const ended = new Promise<number | null>((r) => (exited = r));
  const client = new LauncherClient(
    'python3',
    { PATH: process.env.PATH ?? '' },
    {
      mainExited: () => undefined,
      exited: (_id, _monitor, status) => exited(status),
      launcherDied: () => undefined,
    },
  );
  const request: LaunchRequest = {
    id: 'q_1',
    argv: ['sh', '-c', script],
    cwd: dir,
    env: { PATH: process.env.PATH ?? '' },
    log: join(dir, 'tty.log'),
    logCap: null,
    exit: join(dir, 'exit'),
    cgroup,
  };
  try {
    const launched: Launched = await client.launch(request, () => undefined);
    return { launched, status: await ended, log: readFileSync(request.log, 'utf8') };
  } finally {
    client.close();
  }
}

describe('launcher: the job process joins its cgroup before it runs anything', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'launcher-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a cgroup it cannot join: the job runs anyway, and the launch says why', async () => {
    // A plain directory: writing cgroup.procs there must fail, not create a file.
    const { launched, status, log } = await launch(dir, 'echo ran', join(dir, 'job-q_1'));
    expect(launched.cgroupError).toMatch(/job-q_1: No such file or directory/);
    expect(status).toBe(0);
    expect(log).toContain('ran');
  });

  const tracking = setUpProcessTracking({ setting: null, stateDir: `launcher-spec-${process.pid}` });
  const withCgroups = tracking.mode === 'cgroup' ? it : it.skip;
  if (tracking.mode === 'tag') console.warn(`launcher cgroup case skipped: ${tracking.reason}`);
  afterAll(() => {
    if (tracking.mode === 'cgroup') rmdirSync(tracking.parent);
  });

  withCgroups('a writable cgroup: the command is in it from its first instruction', async () => {
    const parent = tracking.mode === 'cgroup' ? tracking.parent : '';
    const cgroup = jobCgroupDir(parent, 'q_1');
    try {
      const { launched, log } = await launch(dir, 'cat /proc/self/cgroup', cgroup);
      expect(launched.cgroupError).toBeNull();
      const line = /^0::(.*)$/m.exec(log)?.[1]?.trim();
      expect(line && cgroup.endsWith(line)).toBe(true);
    } finally {
      rmdirSync(cgroup);
    }
  });
});
