import { accessSync, constants, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

// Linux /proc readers shared by the GPU module (who uses a GPU, kill-on-GPU) and the scheduler
// (job liveness, re-attach, kill). They answer null or skip instead of throwing: processes vanish
// between listing and reading, and other users' files are unreadable.

export function readProcFile(pid: number, file: string): Buffer | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`);
  } catch {
    return null;
  }
}

export interface ProcStat {
  pid: number;
  /** Field 3: R, S, D, Z (zombie), X (dead), ... */
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** Field 22, clock ticks since boot: with the pid, identifies one process across pid reuse. */
  startTime: string;
}

export function readStat(pid: number): ProcStat | null {
  const text = readProcFile(pid, 'stat')?.toString('utf8');
  if (!text) return null;
  // Field 2 is the command in parentheses and may itself hold spaces and parentheses.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  return { pid, state: f[0], ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]), startTime: f[19] };
}

/**
 * True while the process exists and has not exited (a zombie counts as exited); with `startTime`,
 * also that it is the same process and not a later one that reused the pid.
 */
export function isProcessAlive(pid: number, startTime?: string | null): boolean {
  const stat = readStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === undefined || startTime === null || stat.startTime === startTime;
}

export function readProcessStartTime(pid: number): string | null {
  return readStat(pid)?.startTime ?? null;
}

/** The parent's pid (0 for init and kernel threads); null if gone. */
export function readParentPid(pid: number): number | null {
  return readStat(pid)?.ppid ?? null;
}

/** The environment a process was started with (later setenv() calls do not show), or null. */
export function readProcessEnv(pid: number): Record<string, string> | null {
  const raw = readProcFile(pid, 'environ');
  if (raw === null) return null;
  const env: Record<string, string> = {};
  for (const entry of raw.toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** argv[0] as the process set it (what nvidia-smi shows as its name), else its comm; null if gone. */
export function readProcessCommand(pid: number): string | null {
  const argv0 = readProcFile(pid, 'cmdline')?.toString('utf8').split('\0')[0];
  if (argv0) return argv0;
  return readProcFile(pid, 'comm')?.toString('utf8').trim() || null;
}

/** Every pid visible in /proc (thread-group leaders only), ascending. */
export function listPids(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  return names
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * The parent chain of `pid`, nearest first, up to and including init (pid 1); stops early where a
 * parent cannot be read. `parentOf` is injectable for tests.
 */
export function ancestorPids(
  pid: number,
  parentOf: (pid: number) => number | null = readParentPid,
): number[] {
  const chain: number[] = [];
  const seen = new Set<number>([pid]);
  let current = parentOf(pid);
  // A pid never repeats in a real chain; the guard only protects against a racy or fake parentOf.
  while (current !== null && current > 0 && !seen.has(current)) {
    chain.push(current);
    seen.add(current);
    current = parentOf(current);
  }
  return chain;
}

/** The server and its ancestors: no kill may reach them (killing its shell would kill it). */
export function protectedPids(
  selfPid: number = process.pid,
  parentOf?: (pid: number) => number | null,
): Set<number> {
  return new Set([selfPid, ...ancestorPids(selfPid, parentOf)]);
}

function readAllStats(): ProcStat[] {
  return listPids()
    .map(readStat)
    .filter((s): s is ProcStat => s !== null && s.state !== 'Z' && s.state !== 'X');
}

/**
 * Every live process of a job rooted at `rootPid`: its descendants, plus anything still in one of
 * their sessions (children re-parented after their parent died). A job under `script` runs in a
 * session of its own, so its process group alone would miss it. Never the server or its ancestors.
 */
export function jobProcesses(rootPid: number, knownSessions: ReadonlySet<number> = new Set()): ProcStat[] {
  const stats = readAllStats();
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const found = new Map<number, ProcStat>();
  const queue = stats.filter((s) => s.pid === rootPid);
  while (queue.length) {
    const next = queue.pop()!;
    if (found.has(next.pid)) continue;
    found.set(next.pid, next);
    queue.push(...(children.get(next.pid) ?? []));
  }
  const guard = protectedPids();
  const sessions = new Set([...knownSessions, ...[...found.values()].map((s) => s.sid)]);
  const ownSession = readStat(process.pid)?.sid;
  if (ownSession !== undefined) sessions.delete(ownSession);
  for (const s of stats) if (sessions.has(s.sid)) found.set(s.pid, s);
  return [...found.values()].filter((s) => !guard.has(s.pid) && s.pid > 1);
}

/** Sends `signal` to each pid; a pid that already exited is neither sent nor failed. */
export function signalAll(
  pids: readonly number[],
  signal: NodeJS.Signals,
): { sent: number[]; failed: number[] } {
  const sent: number[] = [];
  const failed: number[] = [];
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
      sent.push(pid);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') failed.push(pid);
    }
  }
  return { sent, failed };
}

/** The uid that owns a process (its /proc entry), or null when it is gone. */
export function processOwner(pid: number): number | null {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return null;
  }
}

/**
 * Live processes of this user whose environment holds every `tag` variable with exactly that value:
 * how a job's processes are found after they left its process tree and session (setsid, double
 * fork, nohup), and after a restart. One pass over /proc; environments are searched, not parsed.
 * A process that cleared its own environment before exec is not found this way.
 */
export function taggedProcesses(tag: Readonly<Record<string, string>>, uid = process.getuid?.()): ProcStat[] {
  const needles = tagNeedles(tag);
  const found: ProcStat[] = [];
  const guard = protectedPids();
  for (const pid of listPids()) {
    if (guard.has(pid) || !carriesNeedles(pid, needles, uid)) continue;
    const stat = readStat(pid);
    if (stat && stat.state !== 'Z' && stat.state !== 'X') found.push(stat);
  }
  return found;
}

/** Whether process `pid`, owned by `uid`, was started with every `tag` variable at exactly that value. */
export function carriesTag(
  pid: number,
  tag: Readonly<Record<string, string>>,
  uid = process.getuid?.(),
): boolean {
  return carriesNeedles(pid, tagNeedles(tag), uid);
}

function tagNeedles(tag: Readonly<Record<string, string>>): Buffer[] {
  return Object.entries(tag).map(([k, v]) => Buffer.from(`${k}=${v}\0`));
}

function carriesNeedles(pid: number, needles: readonly Buffer[], uid: number | undefined): boolean {
  const environ = readProcFile(pid, 'environ');
  if (!environ || !needles.every((n) => hasEntry(environ, n))) return false;
  return uid === undefined || processOwner(pid) === uid;
}

/** Whether NUL-separated `environ` has `entry` (`NAME=value\0`) as a whole entry. */
function hasEntry(environ: Buffer, entry: Buffer): boolean {
  for (let at = environ.indexOf(entry); at >= 0; at = environ.indexOf(entry, at + 1)) {
    if (at === 0 || environ[at - 1] === 0) return true;
  }
  // The last entry may lack its trailing NUL.
  const last = entry.subarray(0, entry.length - 1);
  return (
    environ.length >= last.length &&
    environ.subarray(environ.length - last.length).equals(last) &&
    (environ.length === last.length || environ[environ.length - last.length - 1] === 0)
  );
}

/** Searched after PATH, so a server started with a bare PATH still finds system programs. */
const FALLBACK_DIRS = ['/usr/local/bin', '/usr/bin', '/bin'];

/** The absolute path of executable `name` on `path` (a PATH value, then the usual system dirs), or null. */
export function resolveExecutable(name: string, path: string | undefined): string | null {
  if (name.includes('/')) return name;
  for (const dir of [...(path ?? '').split(':').filter((d) => d.startsWith('/')), ...FALLBACK_DIRS]) {
    const candidate = `${dir}/${name}`;
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * What each of process `pid`'s open file descriptors links to (`/dev/nvidia0`, `socket:[123]`…);
 * null when its descriptors cannot be listed (gone, or another user's without privileges). One
 * closed between the listing and its reading is left out.
 */
export function fdTargets(pid: number): string[] | null {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  const targets: string[] = [];
  for (const fd of fds) {
    try {
      targets.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // Closed between listing and reading.
    }
  }
  return targets;
}
