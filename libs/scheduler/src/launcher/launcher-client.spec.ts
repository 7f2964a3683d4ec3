import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobCgroupDir, removeParentCgroup, setUpProcessTracking } from '@trainyard/core';
import { Launched, LauncherClient, LaunchRequest } from './launcher-client';

const spares = (parent: string) => readdirSync(parent).filter((name) => name.startsWith('spare-'));

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 5000; !check(); await new Promise((r) => setTimeout(r, 10)))
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}

/**
 * Launches `script` (sh -c) through a real launcher; resolves with the start and the exit status.
 * With `spareIn` (the launcher's cgroup parent), the launch waits for the spare monitor's cgroup
 * there, so the job goes to the spare; `onLaunched` sees the start while the job runs.
 */
async function launch(
  dir: string,
  script: string,
  cgroup: string | null,
  spareIn: string | null = null,
  onLaunched: (launched: Launched) => void = () => undefined,
) {
  let exited!: (status: number | null) => void;
  const ended = new Promise<number | null>((r) => (exited = r));
  const client = new LauncherClient(
    'python3',
    { PATH: process.env.PATH ?? '' },
    {
      mainExited: () => undefined,
      exited: (id, _monitor, status) => id === 'q_1' && exited(status),
      launcherDied: () => undefined,
    },
    { cgroupParent: spareIn },
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
    if (spareIn) {
      // The first launch starts the launcher, which then forks its spare while idle.
      const first = { argv: ['true'], log: join(dir, 'q_0.log'), exit: join(dir, 'q_0.exit') };
      await client.launch({ ...request, ...first, id: 'q_0', cgroup: null }, () => undefined);
      await waitFor(() => spares(spareIn).length === 1, 'a spare cgroup');
    }
    const launched: Launched = await client.launch(request, onLaunched);
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
  afterAll(async () => {
    // The last launcher's spare removes its cgroup just after the launcher exits: wait for it.
    if (tracking.mode === 'cgroup') expect(await removeParentCgroup(tracking.parent, 5000)).toBe(true);
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

  withCgroups(
    'a job handed to the spare monitor runs in its own cgroup, with no spare cgroup left',
    async () => {
      const parent = tracking.mode === 'cgroup' ? tracking.parent : '';
      const cgroup = jobCgroupDir(parent, 'q_1');
      let procs: string[] = [];
      try {
        const { launched, log } = await launch(
          dir,
          'cat /proc/self/cgroup; sleep 0.3',
          cgroup,
          parent,
          () => (procs = readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n')),
        );
        expect(launched.cgroupError).toBeNull();
        const line = /^0::(.*)$/m.exec(log)?.[1]?.trim();
        expect(line && cgroup.endsWith(line)).toBe(true);
        // The spare's cgroup became the job's; the monitor stays outside it (cgroup.kill spares it).
        expect(existsSync(join(parent, `spare-${launched.monitorPid}`))).toBe(false);
        expect(procs).toContain(String(launched.pid));
        expect(procs).not.toContain(String(launched.monitorPid));
        // The next spare, forked once the launcher is idle, removes its cgroup when the launcher exits.
        await waitFor(() => spares(parent).length === 0, 'no spare cgroup after the launcher exits');
      } finally {
        if (existsSync(cgroup)) rmdirSync(cgroup);
      }
    },
  );

  withCgroups('a spare whose cgroup cannot be renamed moves the job into its cgroup instead', async () => {
    const parent = tracking.mode === 'cgroup' ? tracking.parent : '';
    const cgroup = jobCgroupDir(parent, 'q_1');
    mkdirSync(cgroup); // left over by an earlier attempt: the rename fails with EEXIST
    try {
      const { launched, log } = await launch(dir, 'cat /proc/self/cgroup', cgroup, parent);
      expect(launched.cgroupError).toBeNull();
      const line = /^0::(.*)$/m.exec(log)?.[1]?.trim();
      expect(line && cgroup.endsWith(line)).toBe(true);
      expect(existsSync(join(parent, `spare-${launched.monitorPid}`))).toBe(false);
      await waitFor(() => spares(parent).length === 0, 'no spare cgroup after the launcher exits');
    } finally {
      rmdirSync(cgroup);
    }
  });
});
