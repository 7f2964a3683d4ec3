import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

// cgroup v2 helpers for tracking a job's processes (one cgroup per job, as Slurm's
// proctrack/cgroup does): a process cannot leave its cgroup by setsid, double-fork, nohup or by
// clearing its environment. Readers answer empty instead of throwing (cgroups vanish when removed).

/** A cgroup2 mount from /proc/self/mountinfo. */
export interface Cgroup2Mount {
  /** Where it is mounted, e.g. /sys/fs/cgroup or /sys/fs/cgroup/unified (hybrid mode). */
  mountPoint: string;
  /** The cgroup this mount shows at its mount point (field 4; `/` unless it is a bind mount of a sub-cgroup). */
  root: string;
  /** Mounted read-write (per-mount option `rw`). */
  writable: boolean;
}

/** Undoes mountinfo's octal escapes (`\040` for a space). */
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * The cgroup2 mounts in `mountinfo` text (proc(5): `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS
 * [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS`), in file order.
 */
export function parseCgroup2Mounts(mountinfo: string): Cgroup2Mount[] {
  const mounts: Cgroup2Mount[] = [];
  for (const line of mountinfo.split('\n')) {
    const fields = line.trim().split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6 || fields[dash + 1] !== 'cgroup2') continue;
    mounts.push({
      root: unescapeMountPath(fields[3]),
      mountPoint: unescapeMountPath(fields[4]),
      writable: fields[5].split(',').includes('rw'),
    });
  }
  return mounts;
}

/** The process's cgroup v2 path (the `0::PATH` line of /proc/PID/cgroup), or null on a v1-only host. */
export function parseOwnCgroup(procCgroup: string): string | null {
  const line = procCgroup.split('\n').find((l) => l.startsWith('0::'));
  return line ? line.slice(3).trim() : null;
}

/** The directory of cgroup `path` under `mount`, or null when the mount does not show it. */
export function cgroupDirectory(mount: Cgroup2Mount, path: string): string | null {
  const root = mount.root === '/' ? '' : mount.root;
  if (root !== '' && path !== root && !path.startsWith(`${root}/`)) return null;
  return join(mount.mountPoint, path.slice(root.length));
}

/** How a server finds its jobs' processes: a cgroup per job, or only their environment tag. */
export type ProcessTracking =
  | {
      mode: 'cgroup';
      /** Trainyard's parent cgroup directory; each job gets `monitor-<pid>-<start time>` of its monitor in it. */
      parent: string;
    }
  | { mode: 'tag'; /** Why cgroups are not used. */ reason: string };

export interface CgroupSetupInput {
  /** `--cgroup-root`: null = the server's own cgroup; `off` = tag only; else a cgroup v2 directory. */
  setting: string | null;
  /** The state directory: the parent cgroup's name carries its hash, so two servers never share one. */
  stateDir: string;
  /** Injected for tests; default: this process's /proc files. */
  mountinfo?: string;
  selfCgroup?: string;
}

/** `trainyard-<12 hex>`: the parent cgroup's name for the server with state dir `stateDir`. */
export function parentCgroupName(stateDir: string): string {
  return `trainyard-${createHash('sha256').update(stateDir).digest('hex').slice(0, 12)}`;
}

/**
 * Where the parent cgroup of a server with `input.stateDir` is, or would be made: `trainyard-<hash
 * of stateDir>` in `input.setting`, else in this process's own cgroup v2 (on a writable mount);
 * the reason when there is no such place. Reads only, makes nothing.
 */
export function parentCgroupOf(input: CgroupSetupInput): { parent: string } | { reason: string } {
  if (input.setting === 'off') return { reason: 'turned off by --cgroup-root off' };
  let base: string;
  if (input.setting) {
    base = input.setting;
  } else {
    let mountinfo: string;
    let selfCgroup: string;
    try {
      mountinfo = input.mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
      selfCgroup = input.selfCgroup ?? readFileSync('/proc/self/cgroup', 'utf8');
    } catch (err) {
      return { reason: `cannot read /proc/self: ${(err as Error).message}` };
    }
    const mounts = parseCgroup2Mounts(mountinfo);
    const mount = mounts.find((m) => m.writable);
    if (!mount) return { reason: mounts.length ? 'the cgroup2 mount is read-only' : 'no cgroup2 mount' };
    const own = parseOwnCgroup(selfCgroup);
    if (own === null) return { reason: 'the server is in no cgroup v2 (no 0:: line in /proc/self/cgroup)' };
    const dir = cgroupDirectory(mount, own);
    if (dir === null)
      return { reason: `the server's cgroup ${own} is outside the mount at ${mount.mountPoint}` };
    base = dir;
  }
  if (!existsSync(join(base, 'cgroup.procs'))) return { reason: `${base} is not a cgroup v2 directory` };
  return { parent: join(base, parentCgroupName(input.stateDir)) };
}

/**
 * Finds a writable cgroup2 mount (from /proc/self/mountinfo) and creates the server's parent cgroup
 * `trainyard-<hash of stateDir>` under the server's own cgroup (or under `setting`). Never throws:
 * when anything is missing or refused, the answer is tag mode with the reason.
 */
export function setUpProcessTracking(input: CgroupSetupInput): ProcessTracking {
  const tag = (reason: string): ProcessTracking => ({ mode: 'tag', reason });
  const where = parentCgroupOf(input);
  if ('reason' in where) return tag(where.reason);
  const { parent } = where;
  try {
    mkdirSync(parent);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') return tag(`cannot create ${parent}: ${code ?? (err as Error).message}`);
  }
  if (!existsSync(join(parent, 'cgroup.procs'))) return tag(`${parent} is not a cgroup`);
  return { mode: 'cgroup', parent };
}

/**
 * The cgroup directory of the job run by the launcher's monitor `monitorPid` (the job's `pid`),
 * which started at `startTime` (field 22 of its /proc stat, the job's `proc_start_time`): unique
 * even when the pid is reused. Named after the monitor, not the job: the launcher's spare monitors
 * move the job's process into this cgroup ahead of the launch, before the job is known, and cgroup
 * v2 refuses to rename a cgroup (EPERM), so the name cannot change at launch.
 */
export function monitorCgroupDir(parent: string, monitorPid: number, startTime: string): string {
  return join(parent, `monitor-${monitorPid}-${startTime}`);
}

function childCgroups(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

/** Every pid in cgroup `dir` and in its descendants (a job may create sub-cgroups); [] when gone. */
export function cgroupPids(dir: string): number[] {
  let own: number[] = [];
  try {
    own = readFileSync(join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number);
  } catch {
    return [];
  }
  return [...own, ...childCgroups(dir).flatMap(cgroupPids)];
}

/**
 * SIGKILLs every process in cgroup `dir` and its descendants at once (cgroup.kill, Linux 5.14+;
 * nothing can fork away meanwhile). False when the kernel lacks it or the cgroup is gone.
 */
export function killCgroup(dir: string): boolean {
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
    return true;
  } catch {
    return false;
  }
}

/** Removes cgroup `dir` (its descendants first); true when it is gone. A populated cgroup stays. */
export function removeCgroup(dir: string): boolean {
  // Usually it has no sub-cgroups (or is gone already): listing a cgroup directory first, with its
  // dozens of interface files, cost more than the rmdir itself on every job's end.
  if (rmdirOrGone(dir)) return true;
  for (const child of childCgroups(dir)) removeCgroup(child);
  return rmdirOrGone(dir);
}

function rmdirOrGone(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Removes the parent cgroup `parent` unless it holds one of the cgroups `keep` (of jobs still
 * running). A spare monitor removes its cgroup only after its waiting process has exited, which
 * comes just after its launcher is closed, so the removal is retried every 50 ms for up to `waitMs`
 * milliseconds. Resolves true when the parent is gone.
 */
export async function removeParentCgroup(
  parent: string,
  waitMs: number,
  keep: readonly string[] = [],
): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while (!removeCgroup(parent)) {
    if (keep.some((dir) => existsSync(dir)) || Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** The `monitor-*` cgroup directories under `parent` (jobs', and spare monitors' waiting for one). */
export function monitorCgroupDirs(parent: string): string[] {
  return childCgroups(parent).filter((d) => /\/monitor-\d+-\d+$/.test(d));
}

/** The start times in the names of the `monitor-<monitorPid>-<start time>` cgroups under `parent`. */
export function monitorCgroupStartTimes(parent: string, monitorPid: number): string[] {
  const prefix = `monitor-${monitorPid}-`;
  return monitorCgroupDirs(parent)
    .map((d) => basename(d))
    .filter((name) => name.startsWith(prefix))
    .map((name) => name.slice(prefix.length));
}

/**
 * The cgroup directory the previous release gave job `id` (`job-<id>`, before cgroups were named
 * after the monitor): a job it started may still run there after an upgrade.
 */
export function legacyJobCgroupDir(parent: string, id: string): string {
  return join(parent, `job-${id}`);
}

/** Every job's cgroup directory under `parent`: `monitor-*` and the previous release's `job-*`. */
export function jobCgroupDirs(parent: string): string[] {
  return childCgroups(parent).filter((d) => /\/(monitor-\d+-\d+|job-[^/]+)$/.test(d));
}
