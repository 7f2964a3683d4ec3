import { jobProcesses, ProcStat, signalAll, taggedProcesses } from '@trainyard/core';
import { JOB_ID_ENV } from '@trainyard/gpus';
import { SERVER_TAG_ENV } from './job-environment';

/**
 * Every live process of a job: the monitor's descendants and everything in their sessions, plus
 * every process of ours tagged with the job's id and this server's control directory (found even
 * after it called setsid, double-forked or was re-parented to init). Never the server itself.
 */
export function findJobProcesses(jobId: string, controlDir: string, monitorPid: number): ProcStat[] {
  const found = new Map<number, ProcStat>();
  if (monitorPid > 0) for (const p of jobProcesses(monitorPid)) found.set(p.pid, p);
  for (const p of taggedProcesses({ [JOB_ID_ENV]: jobId, [SERVER_TAG_ENV]: controlDir })) found.set(p.pid, p);
  return [...found.values()];
}

/** The job's processes other than its monitor (which ends by itself once they are gone). */
export function jobWorkers(jobId: string, controlDir: string, monitorPid: number): number[] {
  return findJobProcesses(jobId, controlDir, monitorPid)
    .map((p) => p.pid)
    .filter((pid) => pid !== monitorPid);
}

export function signalPids(pids: readonly number[], signal: NodeJS.Signals): number[] {
  return signalAll(pids, signal).sent;
}
