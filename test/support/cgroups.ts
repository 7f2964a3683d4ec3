import { readFileSync, rmdirSync } from 'node:fs';
import { basename } from 'node:path';
import { setUpProcessTracking } from '@trainyard/core';
import { pidsRunning } from './processes';

// Shared by the cgroup e2e specs: whether they can run here, and a job only a cgroup can find.

/** Whether this host lets a server create cgroups (as the server decides it, at its start). */
export const cgroupProbe = setUpProcessTracking({
  setting: null,
  stateDir: `job-cgroup-probe-${process.pid}`,
});
if (cgroupProbe.mode === 'cgroup') rmdirSync(cgroupProbe.parent);
else console.warn(`job cgroup e2e cases skipped: cgroups are not writable here (${cgroupProbe.reason})`);
export const describeWithCgroups = cgroupProbe.mode === 'cgroup' ? describe : describe.skip;

/**
 * A job whose process clears its environment (invisible to the environment tag) and whose monitor
 * is gone (no longer anyone's descendant): only its cgroup still says it is the job's.
 * `env -i sh -c 'setsid sleep N &'`, then the job kills its own monitor and keeps running.
 */
export const HIDDEN = (n: number) => [
  'bash',
  '-c',
  `trap "" HUP; env -i sh -c 'setsid sleep ${n} &'; kill -9 $PPID; exec sleep ${n + 1}`,
];

/** The name of the cgroup v2 that process `pid` is in (its last path element). */
export const cgroupNameOf = (pid: number) =>
  basename(/^0::(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1] ?? '');

/** What a failed case leaves running (jobs outlive their server). */
export function killAll(...commands: string[][]): void {
  for (const argv of commands) for (const pid of pidsRunning(argv)) process.kill(pid, 'SIGKILL');
}
