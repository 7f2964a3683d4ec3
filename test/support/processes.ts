import { readdirSync, readFileSync } from 'node:fs';
import { isProcessAlive, listPids, readParentPid } from '@trainyard/core';
import { waitFor } from './wait';

/** Pids of live processes whose command line is exactly `argv` (e.g. ['sleep', '1001']). */
export function pidsRunning(argv: string[]): number[] {
  const wanted = argv.join('\0');
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0$/, '');
      if (cmdline === wanted && isProcessAlive(Number(name))) found.push(Number(name));
    } catch {
      // gone
    }
  }
  return found;
}

/** The server's worker: its supervisor's one child process (waits for it, as after a restart). */
export const workerOf = (supervisorPid: number): Promise<number> =>
  waitFor(() => listPids().find((pid) => readParentPid(pid) === supervisorPid), 'the worker process');
