import { isProcessAlive, protectedPids } from '@trainyard/core';
import type { KillFailure } from './gpus.events';

export interface KillCandidate {
  pid: number;
  /** Why this pid must not be signalled after all (e.g. not verifiably a GPU user here), or null. */
  refuse: string | null;
}

export interface KillOutcome {
  /** Every candidate, ascending. */
  pids: number[];
  /** Signalled and confirmed gone. */
  killed: number[];
  failed: KillFailure[];
}

export interface KillOptions {
  /** The server's pid: it and its whole parent chain are never signalled. */
  selfPid?: number;
  parentOf?: (pid: number) => number | null;
  signal?: (pid: number) => void;
  isAlive?: (pid: number) => boolean;
  /** How long to wait for signalled processes to be gone. */
  exitWaitMs?: number;
}

const EXIT_WAIT_MS = 2000;
const EXIT_POLL_MS = 20;

/**
 * SIGKILLs the candidates except the protected ones, then waits (up to `exitWaitMs`) for them to be
 * gone; a process stuck in the kernel (e.g. a wedged GPU driver) can outlive SIGKILL and is reported.
 */
export async function killProcesses(
  candidates: readonly KillCandidate[],
  options: KillOptions = {},
): Promise<KillOutcome> {
  const signal = options.signal ?? ((pid: number) => process.kill(pid, 'SIGKILL'));
  const isAlive = options.isAlive ?? ((pid: number) => isProcessAlive(pid));
  const shielded = protectedPids(options.selfPid, options.parentOf);

  const byPid = new Map<number, KillCandidate>();
  for (const candidate of candidates) {
    const known = byPid.get(candidate.pid);
    // The same pid found twice (env scan and nvidia-smi): one reason to spare it is not overruled.
    if (!known || known.refuse === null) byPid.set(candidate.pid, candidate);
  }
  const pids = [...byPid.keys()].sort((a, b) => a - b);
  const failed: KillFailure[] = [];
  const signalled: number[] = [];

  for (const pid of pids) {
    const refuse = byPid.get(pid)!.refuse;
    if (pid <= 1 || shielded.has(pid)) {
      failed.push({ pid, reason: 'is the Trainyard server or one of its ancestors; never killed' });
    } else if (refuse !== null) {
      failed.push({ pid, reason: refuse });
    } else {
      try {
        signal(pid);
        signalled.push(pid);
      } catch (error) {
        failed.push({ pid, reason: signalFailure(error) });
      }
    }
  }

  const deadline = performance.now() + (options.exitWaitMs ?? EXIT_WAIT_MS); // monotonic
  let alive = signalled.filter(isAlive);
  while (alive.length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, EXIT_POLL_MS));
    alive = alive.filter(isAlive);
  }
  const seconds = (options.exitWaitMs ?? EXIT_WAIT_MS) / 1000;
  for (const pid of alive) {
    failed.push({ pid, reason: `still alive ${seconds} s after SIGKILL (stuck in the kernel or driver?)` });
  }
  failed.sort((a, b) => a.pid - b.pid);
  return { pids, killed: signalled.filter((pid) => !alive.includes(pid)), failed };
}

function signalFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ESRCH') return 'had already exited';
  if (code === 'EPERM') return "not permitted to signal it (another user's process?)";
  return `kill failed: ${String(error)}`;
}
