import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import {
  cgroupPids,
  jobProcesses,
  killCgroup,
  monitorCgroupDir,
  monitorCgroupDirs,
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
  taggedProcesses,
} from '@trainyard/core';
import { JOB_ID_ENV } from '@trainyard/gpus';
import { JobFiles } from '@trainyard/jobs';
import { ActiveJob, ActiveJobs } from './active-jobs';
import { SERVER_TAG_ENV } from './job-environment';

/** Which job: its id (its processes' tag), its monitor, and its cgroup. */
export type JobRef = Pick<ActiveJob, 'id' | 'monitorPid' | 'cgroup'>;

/** How long shutdown waits for the spare monitors to empty their cgroups before leaving the parent. */
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
    private readonly active: ActiveJobs,
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

  /**
   * The cgroup of the job whose monitor is `monitorPid`, started at `startTime` (the job's `pid` and
   * `proc_start_time`, as re-attach reads them back); null in tag mode or without both.
   */
  cgroupOf(monitorPid: number, startTime: string | null): string | null {
    return this.tracking.mode === 'cgroup' && monitorPid > 0 && startTime !== null
      ? monitorCgroupDir(this.tracking.parent, monitorPid, startTime)
      : null;
  }

  /**
   * Every live process of a job: whatever is in its cgroup (and sub-cgroups), the monitor's
   * descendants and everything in their sessions (`viaMonitor`; false once the monitor is gone, as
   * its pid may be another process's by then), and every process of ours tagged with the job's id
   * and this server's control directory. Never the server itself or its ancestors.
   */
  find(job: JobRef, viaMonitor = true): ProcStat[] {
    const found = new Map<number, ProcStat>();
    if (job.cgroup) {
      const guard = protectedPids();
      for (const pid of cgroupPids(job.cgroup)) {
        const stat = readStat(pid);
        if (stat && stat.state !== 'Z' && stat.state !== 'X' && !guard.has(pid)) found.set(pid, stat);
      }
    }
    if (viaMonitor && job.monitorPid > 0) for (const p of jobProcesses(job.monitorPid)) found.set(p.pid, p);
    const tag = { [JOB_ID_ENV]: job.id, [SERVER_TAG_ENV]: this.files.controlDir(job.id) };
    for (const p of taggedProcesses(tag)) found.set(p.pid, p);
    return [...found.values()];
  }

  /** The job's processes other than its monitor (which ends by itself once they are gone). */
  workers(job: JobRef, viaMonitor = true): number[] {
    return this.find(job, viaMonitor)
      .map((p) => p.pid)
      .filter((pid) => !viaMonitor || pid !== job.monitorPid);
  }

  /**
   * Signals the job's processes other than its monitor; SIGKILL also goes through cgroup.kill, which
   * reaches a process forked meanwhile. Returns the pids signalled.
   */
  signal(job: JobRef, signal: NodeJS.Signals): number[] {
    const pids = this.workers(job);
    if (signal === 'SIGKILL' && job.cgroup && pids.length) killCgroup(job.cgroup);
    return signalAll(pids, signal).sent;
  }

  /** Removes the job's cgroup once it is empty (after its end); harmless in tag mode or when absent. */
  release(job: JobRef): void {
    if (job.cgroup && !removeCgroup(job.cgroup))
      this.logger.warn(`${job.id}: its cgroup ${job.cgroup} is not empty; left in place`);
  }

  /**
   * At boot: removes the empty `monitor-*` cgroups that are not an active job's — those of jobs that
   * ended while no server watched, and of launcher spares that were killed (a populated one stays).
   */
  removeStale(): void {
    if (this.tracking.mode !== 'cgroup') return;
    const active = new Set([...this.active.all()].map((e) => e.cgroup));
    for (const dir of monitorCgroupDirs(this.tracking.parent)) if (!active.has(dir)) removeCgroup(dir);
  }

  /**
   * Removes the parent cgroup at shutdown when no job runs in it, waiting up to a second for the
   * launcher's spare cgroups (the launcher is closed alongside). A running job's cgroup keeps the
   * parent (and the job) in place.
   */
  async onModuleDestroy(): Promise<void> {
    if (this.tracking.mode !== 'cgroup') return;
    const running = [...this.active.all()].flatMap((e) => (e.cgroup ? [e.cgroup] : []));
    await removeParentCgroup(this.tracking.parent, SHUTDOWN_CGROUP_WAIT_MS, running);
  }
}
