/**
 * A small, independent /proc reader for the suite. Deliberately not the server's own process-tree
 * code: the suite should not trust the module it is checking, and it runs standalone (no aliases).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  sid: number;
}

/** null for a process that is gone or a zombie (exited, not yet reaped: it no longer runs). */
export function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 (comm) may hold spaces and parentheses: parse after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (rest[0] === 'Z' || rest[0] === 'X') return null;
  return { pid, ppid: Number(rest[1]), sid: Number(rest[3]) };
}

export function isAlive(pid: number): boolean {
  return readStat(pid) !== null;
}

export function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) out.push(stat);
  }
  return out;
}

export function childPids(ppid: number): number[] {
  return allStats()
    .filter((s) => s.ppid === ppid)
    .map((s) => s.pid);
}

/**
 * A job's processes: the root (the job record's pid, the `script` process), its descendants, and
 * every member of their sessions (the job under `script` has a session of its own, and re-parented
 * children stay in it). Never this process's own session.
 */
export function jobProcesses(rootPid: number): number[] {
  const stats = allStats();
  const root = stats.find((s) => s.pid === rootPid);
  if (!root) return [];
  const found = new Map<number, ProcStat>([[root.pid, root]]);
  for (let grew = true; grew;) {
    grew = false;
    for (const s of stats) {
      if (!found.has(s.pid) && found.has(s.ppid)) {
        found.set(s.pid, s);
        grew = true;
      }
    }
  }
  const own = readStat(process.pid)?.sid;
  const sessions = new Set([...found.values()].map((s) => s.sid).filter((sid) => sid !== own && sid > 1));
  for (const s of stats) if (sessions.has(s.sid)) found.set(s.pid, s);
  found.delete(process.pid);
  return [...found.keys()];
}

/** Sends `signal` to each pid; returns those it reached. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): number[] {
  const sent: number[] = [];
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
      sent.push(pid);
    } catch {
      /* gone already */
    }
  }
  return sent;
}
