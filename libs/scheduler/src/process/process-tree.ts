import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Clock ticks since boot: with the pid, identifies one process across pid reuse. */
  startTime: string;
}

export function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: parse after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); ppid=4, pgrp=5, session=6, starttime=22.
    if (rest[0] === 'Z' || rest[0] === 'X') return null;
    return { pid, ppid: Number(rest[1]), pgid: Number(rest[2]), sid: Number(rest[3]), startTime: rest[19] };
  } catch {
    return null;
  }
}

export function readAllStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) out.push(stat);
  }
  return out;
}

export function isAlive(pid: number, startTime?: string | null): boolean {
  const stat = readStat(pid);
  return stat !== null && (startTime === undefined || startTime === null || stat.startTime === startTime);
}

/** This process and its ancestors: never signalled, whatever a job's process tree looks like. */
export function protectedPids(): Set<number> {
  const out = new Set<number>();
  let pid = process.pid;
  while (pid > 1 && !out.has(pid)) {
    out.add(pid);
    const stat = readStat(pid);
    if (!stat) break;
    pid = stat.ppid;
  }
  out.add(1);
  return out;
}

/**
 * Every process belonging to a job rooted at `rootPid`: its descendants, plus anything still in
 * one of their sessions (children that were re-parented after their parent died). The job under
 * `script` runs in a session of its own, so a process group alone would miss it.
 */
export function jobProcesses(rootPid: number, knownSessions: ReadonlySet<number> = new Set()): ProcStat[] {
  const stats = readAllStats();
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) {
    const list = children.get(s.ppid) ?? [];
    list.push(s);
    children.set(s.ppid, list);
  }
  const found = new Map<number, ProcStat>();
  const root = stats.find((s) => s.pid === rootPid);
  const queue = root ? [root] : [];
  while (queue.length) {
    const next = queue.pop()!;
    if (found.has(next.pid)) continue;
    found.set(next.pid, next);
    queue.push(...(children.get(next.pid) ?? []));
  }
  const guard = protectedPids();
  const ownSession = readStat(process.pid)?.sid;
  const sessions = new Set([...knownSessions, ...[...found.values()].map((s) => s.sid)]);
  if (ownSession !== undefined) sessions.delete(ownSession);
  for (const s of stats) if (sessions.has(s.sid)) found.set(s.pid, s);
  return [...found.values()].filter((s) => !guard.has(s.pid));
}

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
