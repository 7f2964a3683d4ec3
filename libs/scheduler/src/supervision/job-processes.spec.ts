import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  legacyJobCgroupDir,
  monitorCgroupDir,
  readStat,
  removeCgroup,
  removeParentCgroup,
  ServerConfig,
  setUpProcessTracking,
  signalAll,
  StatePaths,
} from '@trainyard/core';
import { GpuInventory, JOB_ID_ENV } from '@trainyard/gpus';
import { JobFiles } from '@trainyard/jobs';
import { ActiveJobs } from './active-jobs';
import { SERVER_TAG_ENV } from './job-environment';
import { JobProcesses } from './job-processes';

// Whether this host lets a server create cgroups (as the server decides it, at its start).
const probe = setUpProcessTracking({ setting: null, stateDir: `job-processes-probe-${process.pid}` });
if (probe.mode === 'cgroup') removeCgroup(probe.parent);
const describeWithCgroups = probe.mode === 'cgroup' ? describe : describe.skip;

/** A JobProcesses for the state directory `home` (its jobs/ made), tracking as `cgroupRoot` says. */
function jobProcessesIn(home: string, cgroupRoot: string | null): JobProcesses {
  const paths = new StatePaths(home);
  mkdirSync(paths.jobsDir);
  const config = { cgroup_root: cgroupRoot, paths } as unknown as ServerConfig;
  return new JobProcesses(config, new JobFiles(paths), new ActiveJobs({} as GpuInventory));
}

/**
 * Re-attach after an upgrade: which cgroup is a job's when an older build started it (real cgroups,
 * real processes standing in for a job's monitor and command).
 */
describeWithCgroups('JobProcesses.cgroupOf: a job an older build started', () => {
  let home: string;
  let processes: JobProcesses;
  let parent: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'job-processes-'));
    processes = jobProcessesIn(home, null);
    parent = processes.cgroupParent!;
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    for (const dir of [legacyJobCgroupDir(parent, 'q_1'), legacyJobCgroupDir(parent, 'q_2')])
      removeCgroup(dir);
    await removeParentCgroup(parent, 1000);
    rmSync(home, { recursive: true, force: true });
  });

  /** A live `sleep` with `env` and its stderr in `stderr` (a file path), in cgroup `cgroup` (created) if given. */
  function sleeper(env: Record<string, string>, stderr: string | null, cgroup?: string): ChildProcess {
    const fd = stderr ? openSync(stderr, 'a') : 'ignore';
    const child = spawn('sleep', ['30'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', fd],
    });
    if (typeof fd === 'number') closeSync(fd);
    children.push(child);
    if (cgroup) {
      mkdirSync(cgroup);
      writeFileSync(join(cgroup, 'cgroup.procs'), String(child.pid));
    }
    return child;
  }
  const tagOf = (id: string) => ({ [JOB_ID_ENV]: id, [SERVER_TAG_ENV]: join(home, 'control', id) });
  const startOf = (child: ChildProcess) => readStat(child.pid!)!.startTime;

  it("the previous release's job-<id> while it holds a process; an empty one is no one's", () => {
    const legacy = legacyJobCgroupDir(parent, 'q_1');
    mkdirSync(legacy);
    expect(processes.cgroupOf({ id: 'q_1', monitorPid: 0, startTime: null })).toBeNull();
    removeCgroup(legacy);
    sleeper({}, null, legacy);
    expect(processes.cgroupOf({ id: 'q_1', monitorPid: 0, startTime: null })).toBe(legacy);
    expect(processes.cgroupOf({ id: 'q_1', monitorPid: 4242, startTime: '77' })).toBe(legacy);
    expect(processes.cgroupOf({ id: 'q_2', monitorPid: 0, startTime: null })).toBeNull();
  });

  it('start time unknown: the live monitor’s cgroup, only when that monitor writes this job’s log', () => {
    const log = join(home, 'jobs', 'q_1.tty');
    writeFileSync(join(home, 'jobs', 'q_2.tty'), '');
    const monitor = sleeper({}, log);
    const dir = monitorCgroupDir(parent, monitor.pid!, startOf(monitor));
    mkdirSync(dir);
    const other = monitorCgroupDir(parent, monitor.pid!, `${startOf(monitor)}1`);
    mkdirSync(other);
    try {
      expect(processes.cgroupOf({ id: 'q_1', monitorPid: monitor.pid!, startTime: null })).toBe(dir);
      // The pid's process now is not q_2's monitor (e.g. the pid was reused): no cgroup.
      expect(processes.cgroupOf({ id: 'q_2', monitorPid: monitor.pid!, startTime: null })).toBeNull();
    } finally {
      removeCgroup(dir);
      removeCgroup(other);
    }
  });

  it('start time unknown, the monitor gone: the cgroup that holds a process tagged with this job', () => {
    const gone = 2 ** 22 + 1; // above pid_max's default: no such process
    const untagged = monitorCgroupDir(parent, gone, '100');
    const tagged = monitorCgroupDir(parent, gone, '200');
    sleeper({ [JOB_ID_ENV]: 'q_1' }, null, untagged); // the id alone is not this server's tag
    sleeper(tagOf('q_1'), null, tagged);
    try {
      expect(processes.cgroupOf({ id: 'q_1', monitorPid: gone, startTime: null })).toBe(tagged);
      expect(processes.cgroupOf({ id: 'q_2', monitorPid: gone, startTime: null })).toBeNull();
    } finally {
      for (const child of children.splice(0)) child.kill('SIGKILL');
    }
  });
});

/** Which processes are a job's when its monitor is gone or unknown (real processes, found by their tag). */
describe('JobProcesses: a job whose monitor is gone or unknown', () => {
  let home: string;
  let processes: JobProcesses;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'job-processes-'));
    processes = jobProcessesIn(home, 'off');
  });
  afterEach(() => {
    for (const child of children.splice(0)) signalAll([-child.pid!], 'SIGKILL'); // its process group
    rmSync(home, { recursive: true, force: true });
  });

  const tag = (id: string) => ({ [JOB_ID_ENV]: id, [SERVER_TAG_ENV]: join(home, 'control', id) });
  /** `sh -c script` as a session leader of its own, with `env` and its stderr in `stderr` if given. */
  function leader(script: string, env: Record<string, string>, stderr?: string): ChildProcess {
    const fd = stderr ? openSync(stderr, 'a') : 'ignore';
    const child = spawn('sh', ['-c', script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', fd],
      detached: true,
    });
    if (typeof fd === 'number') closeSync(fd);
    children.push(child);
    return child;
  }
  const envPrefix = (id: string) =>
    Object.entries(tag(id))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  const pidsOf = (found: { pid: number }[]) => found.map((p) => p.pid).sort((a, b) => a - b);

  it('findMonitor: the session leader writing the job’s log, never a process of the job that called setsid', async () => {
    const log = join(home, 'jobs', 'q_1.tty');
    // A helper of the job in a session of its own (tagged, as everything the job starts is) ...
    const helper = leader('sleep 30', tag('q_1'));
    // ... and the monitor (untagged, its stderr the log), whose command carries the tag.
    const monitor = leader(`env ${envPrefix('q_1')} sleep 30 & wait`, {}, log);
    const tagged = () => processes.find({ id: 'q_1', monitorPid: 0, monitorStartTime: null, cgroup: null });
    await waitFor(() => [helper, monitor].every((c) => tagged().some((p) => p.sid === c.pid)));
    expect(processes.findMonitor('q_1')?.pid).toBe(monitor.pid);
    process.kill(-monitor.pid!, 'SIGKILL');
    await waitFor(() => processes.findMonitor('q_1') === null);
    expect(helper.exitCode).toBeNull(); // the helper is there, and still not taken for the monitor
  });

  it('find: walks a monitor’s descendants only while its pid is still that process (same start time)', async () => {
    const monitor = leader('sleep 30 & wait', {});
    await waitFor(() => readStat(monitor.pid!) !== null && processes.find(ref(monitor)).length === 2);
    const stale = { ...ref(monitor), monitorStartTime: `${readStat(monitor.pid!)!.startTime}1` };
    expect(processes.find(stale)).toEqual([]); // the pid is another process's now: none of it is the job's
    expect(pidsOf(processes.find(ref(monitor)))).toContain(monitor.pid);
  });

  const ref = (monitor: ChildProcess) => ({
    id: 'q_1',
    monitorPid: monitor.pid!,
    monitorStartTime: readStat(monitor.pid!)?.startTime ?? null,
    cgroup: null,
  });

  /** Resolves once `check` holds (every 20 ms, 5 s at most). */
  async function waitFor(check: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
});
