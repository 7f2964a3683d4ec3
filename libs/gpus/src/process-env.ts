import { statSync } from 'node:fs';
import { fdTargets, listPids, readProcFile } from '@trainyard/core';
import { JOB_ID_ENV, NODE_ID_ENV } from './gpu-inventory.contract';

// GPU-specific helpers over Linux /proc (the generic readers live in @trainyard/core). All of them answer `null`/skip instead of throwing: processes vanish
// between listing and reading, and others' environ is unreadable without privileges.

const CUDA_VISIBLE_DEVICES = 'CUDA_VISIBLE_DEVICES';

/**
 * Whether the process has an NVIDIA device file (/dev/nvidia*) open: true for every CUDA process.
 * Null when its descriptors cannot be read (gone, or another user's without privileges).
 */
export function holdsNvidiaDevice(pid: number): boolean | null {
  const targets = fdTargets(pid);
  return targets === null ? null : targets.some((target) => target.startsWith('/dev/nvidia'));
}

export function cudaVisibleDeviceTokens(value: string): string[] {
  return value
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token.length > 0);
}

export interface CudaVisibleDevicesEntry {
  pid: number;
  tokens: string[];
  /** With `jobsOf`: the job (of that server's) the process belongs to. */
  jobId?: string;
}

/** Who this server is: how its jobs' processes are told from anyone else's. */
export interface ServerIdentity {
  /** This server's node id; every job it launches carries it in NODE_ID_ENV. */
  nodeId: string;
  /** The server's uid. */
  uid: number;
}

export interface ScanOptions {
  /** Only processes owned by this uid. */
  uid?: number;
  /** Only processes of this server's jobs (see `ownJobIdOf`). */
  jobsOf?: ServerIdentity;
  /**
   * Leave out other Trainyard servers' jobs (a node id in their environment other than this one's):
   * for fake GPUs, where another server's GPU 0 is its own, not one shared with this server.
   */
  exceptOtherServersOf?: ServerIdentity;
}

/**
 * The queue id of the job a process belongs to, when it is one of THIS server's jobs: it runs as the
 * server's uid and carries the server's node id next to its job id. Null otherwise — another user's
 * process, another Trainyard server's job, a made-up TRAINYARD_JOB_ID, or a process that is gone.
 */
export function ownJobIdOf(pid: number, identity: ServerIdentity): string | null {
  if (processOwner(pid) !== identity.uid) return null;
  const environ = readProcFile(pid, 'environ');
  return environ === null ? null : jobIdInEnviron(environ, identity);
}

function jobIdInEnviron(environ: Buffer, identity: ServerIdentity): string | null {
  if (findEnvVar(environ, NODE_ID_ENV) !== identity.nodeId) return null;
  return findEnvVar(environ, JOB_ID_ENV) || null;
}

/**
 * Live processes that have CUDA_VISIBLE_DEVICES set, with its tokens. One pass over /proc; the
 * environ of each process is only searched, not parsed, so it stays cheap enough to run every
 * couple of seconds.
 */
export function scanCudaVisibleDevices(options: ScanOptions = {}): CudaVisibleDevicesEntry[] {
  const entries: CudaVisibleDevicesEntry[] = [];
  for (const pid of listPids()) {
    const environ = readProcFile(pid, 'environ');
    if (environ === null) continue;
    const value = findEnvVar(environ, CUDA_VISIBLE_DEVICES);
    if (value === null) continue;
    if (options.uid !== undefined && processOwner(pid) !== options.uid) continue;
    let jobId: string | null = null;
    if (options.jobsOf) {
      jobId = processOwner(pid) === options.jobsOf.uid ? jobIdInEnviron(environ, options.jobsOf) : null;
      if (jobId === null) continue;
    }
    if (options.exceptOtherServersOf) {
      const node = findEnvVar(environ, NODE_ID_ENV);
      if (node !== null && node !== options.exceptOtherServersOf.nodeId) continue;
    }
    entries.push({ pid, tokens: cudaVisibleDeviceTokens(value), ...(jobId === null ? {} : { jobId }) });
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

/** The uid a process runs as, or null once it is gone. */
export function processOwner(pid: number): number | null {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return null;
  }
}
