import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

// Helpers over Linux /proc. All of them answer `null`/skip instead of throwing: processes vanish
// between listing and reading, and others' environ is unreadable without privileges.

const CUDA_VISIBLE_DEVICES = 'CUDA_VISIBLE_DEVICES';

/** The environment a process was started with (later setenv() calls do not show), or null. */
export function readProcessEnv(pid: number): Record<string, string> | null {
  const raw = readProc(pid, 'environ');
  if (raw === null) return null;
  const env: Record<string, string> = {};
  for (const entry of raw.toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/**
 * Field 22 of /proc/<pid>/stat: start time in clock ticks since boot, as a decimal string.
 * (pid, start time) identifies a process across pid reuse. Null when the process is gone.
 */
export function readProcessStartTime(pid: number): string | null {
  const fields = readStatFields(pid);
  const startTime = fields?.[22 - 3];
  return startTime !== undefined && /^\d+$/.test(startTime) ? startTime : null;
}

/** True while the process exists and has not exited (a zombie counts as exited). */
export function isProcessAlive(pid: number): boolean {
  const state = readStatFields(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** Field 4 of /proc/<pid>/stat: the parent's pid (0 for init and kernel threads); null if gone. */
export function readParentPid(pid: number): number | null {
  const ppid = readStatFields(pid)?.[4 - 3];
  return ppid !== undefined && /^\d+$/.test(ppid) ? Number(ppid) : null;
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

/**
 * Whether the process has an NVIDIA device file (/dev/nvidia*) open: true for every CUDA process.
 * Null when its descriptors cannot be read (gone, or another user's without privileges).
 */
export function holdsNvidiaDevice(pid: number): boolean | null {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('/dev/nvidia')) return true;
    } catch {
      // Closed between listing and reading.
    }
  }
  return false;
}

/** argv[0] as the process set it (what nvidia-smi shows as its name), else its comm; null if gone. */
export function readProcessCommand(pid: number): string | null {
  const cmdline = readProc(pid, 'cmdline');
  const argv0 = cmdline?.toString('utf8').split('\0')[0];
  if (argv0) return argv0;
  return readProc(pid, 'comm')?.toString('utf8').trim() || null;
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

/** Comma-separated tokens of a CUDA_VISIBLE_DEVICES value, trimmed, empty ones dropped. */
export function cudaVisibleDeviceTokens(value: string): string[] {
  return value
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token.length > 0);
}

export interface CudaVisibleDevicesEntry {
  pid: number;
  tokens: string[];
}

export interface ScanOptions {
  /** Only processes owned by this uid. */
  uid?: number;
}

/**
 * Live processes that have CUDA_VISIBLE_DEVICES set, with its tokens. One pass over /proc; the
 * environ of each process is only searched, not parsed, so it stays cheap enough to run every
 * couple of seconds.
 */
export function scanCudaVisibleDevices(options: ScanOptions = {}): CudaVisibleDevicesEntry[] {
  const entries: CudaVisibleDevicesEntry[] = [];
  for (const pid of listPids()) {
    const environ = readProc(pid, 'environ');
    if (environ === null) continue;
    const value = findEnvVar(environ, CUDA_VISIBLE_DEVICES);
    if (value === null) continue;
    if (options.uid !== undefined && ownerOf(pid) !== options.uid) continue;
    entries.push({ pid, tokens: cudaVisibleDeviceTokens(value) });
  }
  return entries;
}

/** Whether a CUDA_VISIBLE_DEVICES token names this GPU: its index, its UUID or a UUID prefix. */
export function tokenNamesGpu(token: string, index: number, uuid?: string | null): boolean {
  // Numerically, as CUDA reads it ("02" is GPU 2).
  if (/^\d+$/.test(token)) return Number(token) === index;
  if (!uuid || !/^GPU-./i.test(token)) return false;
  return uuid.toLowerCase().startsWith(token.toLowerCase());
}

export interface PidsUsingGpuOptions extends ScanOptions {
  /** Also match processes that name the GPU by UUID (or UUID prefix). */
  uuid?: string | null;
}

/** Live pids whose CUDA_VISIBLE_DEVICES holds a token naming this GPU, ascending. */
export function pidsUsingGpu(index: number, options: PidsUsingGpuOptions = {}): number[] {
  return scanCudaVisibleDevices(options)
    .filter(({ tokens }) => tokens.some((token) => tokenNamesGpu(token, index, options.uuid)))
    .map(({ pid }) => pid);
}

function readProc(pid: number, file: string): Buffer | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`);
  } catch {
    return null;
  }
}

/** Fields of /proc/<pid>/stat from field 3 (state) on. */
function readStatFields(pid: number): string[] | null {
  const stat = readProc(pid, 'stat')?.toString('utf8');
  if (!stat) return null;
  // Field 2 is the command in parentheses and may itself hold spaces and parentheses.
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  return stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
}

function findEnvVar(environ: Buffer, name: string): string | null {
  const needle = Buffer.from(`${name}=`);
  let at = environ.indexOf(needle);
  // Must start an entry, not end another one's name (e.g. MY_CUDA_VISIBLE_DEVICES=).
  while (at > 0 && environ[at - 1] !== 0) at = environ.indexOf(needle, at + 1);
  if (at < 0) return null;
  const start = at + needle.length;
  const end = environ.indexOf(0, start);
  return environ.toString('utf8', start, end < 0 ? environ.length : end);
}

function ownerOf(pid: number): number | null {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return null;
  }
}
