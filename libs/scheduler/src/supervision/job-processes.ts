import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import {
  cgroupPids,
  jobCgroupDir,
  jobCgroupIds,
  jobProcesses,
  killCgroup,
  ProcessTracking,
  ProcStat,
  protectedPids,
  readStat,
  removeCgroup,
  removeParentCgroup,
  SERVER_CONFIG,
  ServerConfig,
  setUpProcessTracking,
  signalAll,
  spareCgroupDirs,
  taggedProcesses,
} from '@trainyard/core';
import { JOB_ID_ENV } from '@trainyard/gpus';
import { JobFiles } from '@trainyard/jobs';
import { SERVER_TAG_ENV } from './job-environment';

/** How long shutdown waits for the spare monitor to empty its cgroup before leaving the parent. */
const SHUTDOWN_CGROUP_WAIT_MS = 1000;

/**
 * The one place that answers "which processes are job X's": a cgroup v2 per job where the host
 * lets the server create one (chosen once, at start: see `setUpProcessTracking`), plus the
 * monitor's descendants and every process carrying the job's environment tag (which also covers
 * jobs started before cgroups were used, and hosts without them).
 */
@Injectable()
export class JobProcesses implements OnModuleDestroy {
  private readonly logger = new Logger('Jobs');
  /** How jobs are tracked on this host; shown by GET /api/health. */
  readonly tracking: ProcessTracking;

  constructor(
    @Inject(SERVER_CONFIG) config: ServerConfig,
    private readonly files: JobFiles,
  ) {
    this.tracking = setUpProcessTracking({ setting: config.cgroup_root, stateDir: config.paths.home });
    if (this.tracking.mode === 'cgroup')
      this.logger.log(`job processes are tracked by cgroup v2 at ${this.tracking.parent}`);
    else
      this.logger.log(`job processes are tracked by environment tag (no cgroups: ${this.tracking.reason})`);
  }

  /** The parent cgroup of every job's cgroup, or null in tag mode. */
  get cgroupParent(): string | null {
    return this.tracking.mode === 'cgroup' ? this.tracking.parent : null;
  }

  /** The cgroup job `id` is (to be) launched in, or null in tag mode. */
  cgroupOf(id: string): string | null {
    return this.tracking.mode === 'cgroup' ? jobCgroupDir(this.tracking.parent, id) : null;
  }

  /**
   * Every live process of a job: whatever is in its cgroup (and sub-cgroups), the monitor's
   * descendants and everything in their sessions, and every process of ours tagged with the job's id
   * and this server's control directory. Never the server itself or its ancestors.
   */
  find(id: string, monitorPid: number): ProcStat[] {
    const found = new Map<number, ProcStat>();
    const cgroup = this.cgroupOf(id);
    if (cgroup) {
      const guard = protectedPids();
      for (const pid of cgroupPids(cgroup)) {
        const stat = readStat(pid);
        if (stat && stat.state !== 'Z' && stat.state !== 'X' && !guard.has(pid)) found.set(pid, stat);
      }
    }
    if (monitorPid > 0) for (const p of jobProcesses(monitorPid)) found.set(p.pid, p);
    const tag = { [JOB_ID_ENV]: id, [SERVER_TAG_ENV]: this.files.controlDir(id) };
    for (const p of taggedProcesses(tag)) found.set(p.pid, p);
    return [...found.values()];
  }

  /** The job's processes other than its monitor (which ends by itself once they are gone). */
  workers(id: string, monitorPid: number): number[] {
    return this.find(id, monitorPid)
      .map((p) => p.pid)
      .filter((pid) => pid !== monitorPid);
  }

  /**
   * Signals the job's processes other than its monitor; SIGKILL also goes through cgroup.kill, which
   * reaches a process forked meanwhile. Returns the pids signalled.
   */
  signal(id: string, monitorPid: number, signal: NodeJS.Signals): number[] {
    const pids = this.workers(id, monitorPid);
    const cgroup = this.cgroupOf(id);
    if (signal === 'SIGKILL' && cgroup && pids.length) killCgroup(cgroup);
    return signalAll(pids, signal).sent;
  }

  /** Removes the job's cgroup once it is empty (after its end); harmless in tag mode or when absent. */
  release(id: string): void {
    const cgroup = this.cgroupOf(id);
    if (cgroup && !removeCgroup(cgroup))
      this.logger.warn(`${id}: its cgroup ${cgroup} is not empty; left in place`);
  }

  /**
   * At boot: removes the cgroups of jobs that are no longer active, and the `spare-*` cgroups of
   * launcher spares that were killed (a populated one stays).
   */
  removeStale(activeIds: ReadonlySet<string>): void {
    if (this.tracking.mode !== 'cgroup') return;
    for (const id of jobCgroupIds(this.tracking.parent))
      if (!activeIds.has(id)) removeCgroup(jobCgroupDir(this.tracking.parent, id));
    for (const dir of spareCgroupDirs(this.tracking.parent)) removeCgroup(dir);
  }

  /**
   * Removes the parent cgroup at shutdown when no job runs in it, waiting up to a second for the
   * launcher's spare cgroups (the launcher is closed alongside). A populated job cgroup keeps the
   * parent (and the job) in place.
   */
  async onModuleDestroy(): Promise<void> {
    if (this.tracking.mode === 'cgroup')
      await removeParentCgroup(this.tracking.parent, SHUTDOWN_CGROUP_WAIT_MS);
  }
}
