import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { readlinkSync, statSync } from 'node:fs';
import {
  carriesTag,
  cgroupPids,
  jobCgroupDirs,
  jobProcesses,
  killCgroup,
  legacyJobCgroupDir,
  monitorCgroupDir,
  monitorCgroupStartTimes,
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

/** Which job: its id (its processes' tag), its monitor (pid and start time), and its cgroup. */
export type JobRef = Pick<ActiveJob, 'id' | 'monitorPid' | 'monitorStartTime' | 'cgroup'>;

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
   * The cgroup of job `id`, whose monitor is `monitorPid`, started at `startTime` (the job's `pid`
   * and `proc_start_time`, as re-attach reads them back); null in tag mode or when none is known.
   * A job an older build started is found too: in the previous release's `job-<id>` while that is
   * populated, and, where its start time was never recorded, in a `monitor-<pid>-<start>` shown to
   * be this job's — a process in it carries the job's tag, or it is the live monitor's (its start
   * time) and that monitor writes this job's log. Never a guess: a wrong cgroup would be killed.
   */
  cgroupOf(job: { id: string; monitorPid: number; startTime: string | null }): string | null {
    if (this.tracking.mode !== 'cgroup') return null;
    const parent = this.tracking.parent;
    const legacy = legacyJobCgroupDir(parent, job.id);
    if (cgroupPids(legacy).length > 0) return legacy;
    if (job.monitorPid <= 0) return null;
    if (job.startTime !== null) return monitorCgroupDir(parent, job.monitorPid, job.startTime);
    const monitor = readStat(job.monitorPid);
    const liveMonitor = monitor && monitor.state !== 'Z' && this.writesLogOf(job.monitorPid, job.id);
    const tag = this.tagOf(job.id);
    for (const start of monitorCgroupStartTimes(parent, job.monitorPid)) {
      const dir = monitorCgroupDir(parent, job.monitorPid, start);
      if ((liveMonitor && start === monitor.startTime) || cgroupPids(dir).some((pid) => carriesTag(pid, tag)))
        return dir;
    }
    return null;
  }

  /**
   * Whether process `pid` writes job `id`'s log in this state directory (a monitor's stderr is its
   * log): what tells the job's monitor from another server's with the same pid and start time — the
   * server of a state directory this one was copied from, whose jobs run on. Its log by inode, or a
   * file that was at this log's path and has been replaced since ({@link writesReplacedLogOf}).
   */
  writesLogOf(pid: number, id: string): boolean {
    try {
      const [fd, log] = [statSync(`/proc/${pid}/fd/2`), statSync(this.files.tty(id))];
      if (fd.ino === log.ino && fd.dev === log.dev) return true;
    } catch {
      /* no such process or log: see below */
    }
    return this.writesReplacedLogOf(pid, id);
  }

  /**
   * Whether process `pid` writes a deleted file that was at job `id`'s log path: this state
   * directory was replaced under the running job (restored from a copy, at the same path) — still
   * this directory's job (its processes carry this path's tag), its later output in the old file.
   */
  writesReplacedLogOf(pid: number, id: string): boolean {
    try {
      return readlinkSync(`/proc/${pid}/fd/2`) === `${this.files.tty(id)} (deleted)`;
    } catch {
      return false;
    }
  }

  /** The environment tag every process of job `id` started by this server carries. */
  private tagOf(id: string): Record<string, string> {
    return { [JOB_ID_ENV]: id, [SERVER_TAG_ENV]: this.files.controlDir(id) };
  }

  /**
   * The live monitor of job `id`, found through the job's tagged processes: the leader of one of
   * their sessions that writes the job's log (a monitor's stderr is the log) — never a process of
   * the job that made itself a session leader (`setsid`), which carries the tag. Null when none.
   */
  findMonitor(id: string): ProcStat | null {
    const tagged = taggedProcesses(this.tagOf(id));
    const ownPids = new Set(tagged.map((p) => p.pid));
    for (const sid of new Set(tagged.map((p) => p.sid))) {
      if (ownPids.has(sid)) continue;
      const leader = readStat(sid);
      if (leader && leader.state !== 'Z' && this.writesLogOf(sid, id)) return leader;
    }
    return null;
  }

  /**
   * Every live process of a job: whatever is in its cgroup (and sub-cgroups), the monitor's
   * descendants and everything in their sessions (`viaMonitor`, and only while the monitor is the
   * process it was — its start time — as its pid may be another process's once it is gone), and
   * every process of ours tagged with the job's id and this server's control directory. Never the
   * server itself or its ancestors.
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
    if (viaMonitor && job.monitorPid > 0 && this.isMonitor(job))
      for (const p of jobProcesses(job.monitorPid)) found.set(p.pid, p);
    for (const p of taggedProcesses(this.tagOf(job.id))) found.set(p.pid, p);
    return [...found.values()];
  }

  /** Whether the job's monitor pid is still its monitor (alive or not yet reaped: not reused). */
  private isMonitor(job: JobRef): boolean {
    const stat = readStat(job.monitorPid);
    return stat !== null && (job.monitorStartTime === null || stat.startTime === job.monitorStartTime);
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
    const viaCgroup =
      signal === 'SIGKILL' && job.cgroup !== null && pids.length > 0 && killCgroup(job.cgroup);
    const { sent } = signalAll(pids, signal); // also those outside the cgroup (found by their tag)
    // A stopped process (SIGSTOP, Ctrl-Z) acts on a SIGTERM only once continued; a stopped monitor
    // reaps nothing, so the job could never end. As Slurm does, continue them all after the signal.
    if (signal !== 'SIGKILL') signalAll(pids, 'SIGCONT');
    if (job.monitorPid > 0 && this.isMonitor(job)) signalAll([job.monitorPid], 'SIGCONT');
    // cgroup.kill got them all: one already reaped by the time it is signalled below was killed too.
    return viaCgroup ? pids : sent;
  }

  /** Removes the job's cgroup once it is empty (after its end); harmless in tag mode or when absent. */
  release(job: JobRef): void {
    if (job.cgroup && !removeCgroup(job.cgroup))
      this.logger.warn(`${job.id}: its cgroup ${job.cgroup} is not empty; left in place`);
  }

  /**
   * At boot: removes the empty job cgroups that are not an active job's — those of jobs that ended
   * while no server watched, of launcher spares that were killed, and the previous release's
   * `job-<id>` ones (a populated one stays).
   */
  removeStale(): void {
    if (this.tracking.mode !== 'cgroup') return;
    const active = new Set([...this.active.all()].map((e) => e.cgroup));
    for (const dir of jobCgroupDirs(this.tracking.parent)) if (!active.has(dir)) removeCgroup(dir);
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
