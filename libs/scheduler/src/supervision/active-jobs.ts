import { Injectable } from '@nestjs/common';
import { isProcessAlive } from '@trainyard/core';
import { GpuInventory } from '@trainyard/gpus';
import { type Job, killsAtOnce, type TerminationRequest } from '@trainyard/jobs';
import type { CommandExitDetail } from '../launcher/launcher-client';

/** What the supervisor knows of one job that has (or may have) processes. */
export interface ActiveJob {
  readonly id: string;
  readonly gpuIndices: number[];
  /** UUIDs of the MIG devices it holds (a MIG job); empty otherwise. */
  readonly migDevices: readonly string[];
  /** The job's monitor: session leader, owner of its terminal, the last of its processes to end. 0 until known. */
  monitorPid: number;
  monitorStartTime: string | null;
  /** The job's cgroup v2 directory (its monitor's); null in tag mode, until the launch reports it, or when it has none. */
  cgroup: string | null;
  /**
   * `launcher`: the launcher reports the end. `poll`: after a restart (or when the launcher or the
   * monitor died) the end is found by polling the monitor and the job's tagged processes.
   */
  watch: 'launcher' | 'poll';
  /** The job command's exit status once it ended (undefined while it runs). */
  mainExit: number | null | undefined;
  /**
   * The rest of what its exit file says, as the launcher reported it: the end is settled from this
   * when the monitor cannot write that file (a full disk). Null when not reported (found at boot).
   */
  mainExitDetail: CommandExitDetail | null;
  /**
   * What its end's `error` says besides the outcome's own: output its log lost to a full disk and
   * could not say ("N bytes of output lost: …"), a monitor found not to be ours at boot.
   */
  endNotes: string[];
  /**
   * Found at boot with a live monitor (same pid and start time) that writes another state directory's
   * log: this directory is a copy of that one, whose job runs on. Watched until it is gone, its GPUs
   * held meanwhile (its processes hold them), never signalled from here. Null otherwise.
   */
  foreignMonitor: { pid: number; startTime: string | null } | null;
  /** The persisted termination request. */
  request: TerminationRequest | null;
  /** SIGTERM → SIGKILL grace for this job, ms. */
  graceMs: number;
  /** When its time limit runs out, epoch ms (null: no limit). See {@link deadlineOf}. */
  deadline: number | null;
  /** Pending stop at the deadline. */
  limitTimer: NodeJS.Timeout | null;
  /** Pending SIGKILL after the grace period. */
  killTimer: NodeJS.Timeout | null;
  /** When that SIGKILL is due, epoch ms (null: none pending). */
  killAt: number | null;
  /** When SIGKILL was first sent to its processes, epoch ms (null: not yet). */
  killSentAt: number | null;
  /**
   * The signals other than SIGKILL its processes were sent (after a restart: may have been). Each
   * goes once: a second SIGTERM would restart a trainer's checkpoint save.
   */
  readonly sent: Set<NodeJS.Signals>;
  /** How many of its processes were still running when the grace period ran out (they got SIGKILL). */
  killedAfterGrace: number;
  /** Its command's end happened while no server was watching (found gone, or its exit status written, at boot). */
  endedWhileDown: boolean;
  /**
   * Settle without evidence (a launch report, the command's exit status) only after this (epoch ms):
   * set for jobs found in `starting` without a pid at boot, and (once) when nothing of a started job
   * is left before its command's status is known (its monitor was killed).
   */
  noEvidenceUntil: number;
  settling: boolean;
  readonly ended: Promise<void>;
  resolveEnded: () => void;
}

/** Whether `entry`'s job runs for another state directory now (see ActiveJob.foreignMonitor). */
export function runsElsewhere(entry: ActiveJob): boolean {
  const monitor = entry.foreignMonitor;
  return monitor !== null && isProcessAlive(monitor.pid, monitor.startTime);
}

export type NewActiveJob = Pick<ActiveJob, 'id' | 'gpuIndices' | 'graceMs' | 'deadline'> &
  Partial<Pick<ActiveJob, 'migDevices' | 'monitorPid' | 'monitorStartTime' | 'cgroup' | 'watch' | 'request'>>;

/** When an active job lets its GPUs go at the latest (see ActiveJobs.releases). */
export interface GpuRelease {
  /** Epoch ms; null: nothing bounds it. */
  at: number | null;
  /** Some of its processes outlived SIGKILL: `at` is null. */
  outlivedKill: boolean;
}

/**
 * The one registry of jobs that hold GPUs: launch adds, reap removes, stop and re-attach look up.
 * Every change republishes the GPU reservations, so a job's GPUs stay reserved exactly as long
 * as it is here — until its last process is gone and its end is committed.
 */
@Injectable()
export class ActiveJobs {
  private readonly jobs = new Map<string, ActiveJob>();

  constructor(private readonly gpus: GpuInventory) {}

  get count(): number {
    return this.jobs.size;
  }

  get(id: string): ActiveJob | undefined {
    return this.jobs.get(id);
  }

  has(id: string): boolean {
    return this.jobs.has(id);
  }

  /**
   * Whether `entry` is still the job's current attempt: a preempted job comes back under the same
   * id, and a timer armed for its previous attempt must never touch the next one.
   */
  isCurrent(entry: ActiveJob): boolean {
    return this.jobs.get(entry.id) === entry;
  }

  all(): IterableIterator<ActiveJob> {
    return this.jobs.values();
  }

  add(job: NewActiveJob): ActiveJob {
    let resolveEnded!: () => void;
    const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
    const entry: ActiveJob = {
      monitorPid: 0,
      monitorStartTime: null,
      cgroup: null,
      watch: 'launcher',
      request: null,
      migDevices: [],
      ...job,
      mainExit: undefined,
      mainExitDetail: null,
      endNotes: [],
      foreignMonitor: null,
      killTimer: null,
      killAt: null,
      killSentAt: null,
      sent: new Set(),
      killedAfterGrace: 0,
      limitTimer: null,
      endedWhileDown: false,
      noEvidenceUntil: 0,
      settling: false,
      ended,
      resolveEnded,
    };
    this.jobs.set(job.id, entry);
    this.publishReservations();
    return entry;
  }

  remove(entry: ActiveJob): void {
    if (entry.killTimer) clearTimeout(entry.killTimer);
    if (entry.limitTimer) clearTimeout(entry.limitTimer);
    this.jobs.delete(entry.id);
    this.publishReservations();
    entry.resolveEnded();
  }

  /** Resolves when the job has ended and its terminal state is committed (at once if not active). */
  whenEnded(id: string): Promise<void> {
    return this.jobs.get(id)?.ended ?? Promise.resolve();
  }

  /**
   * When each job holding GPUs will have let them go at the latest, epoch ms (`at`): its time limit
   * plus its kill grace or, for a job being stopped, its SIGKILL time if that is sooner; null for a
   * job with neither, or whose processes outlived SIGKILL (`outlivedKill`, see survivesKill). What
   * backfill and start estimates plan with.
   */
  releases(now = Date.now()): Map<string, GpuRelease> {
    const out = new Map<string, GpuRelease>();
    for (const entry of this.jobs.values()) {
      if (survivesKill(entry, now)) {
        // Its time limit would only send SIGKILL again: nothing bounds when its GPUs are let go.
        out.set(entry.id, { at: null, outlivedKill: true });
        continue;
      }
      const limit = entry.deadline === null ? null : entry.deadline + entry.graceMs;
      const stop = stopBound(entry, now);
      const at = limit === null ? stop : stop === null ? limit : Math.min(limit, stop);
      out.set(entry.id, { at, outlivedKill: false });
    }
    return out;
  }

  private publishReservations(): void {
    const map = new Map<number, string>();
    const mig = new Map<string, string>();
    for (const entry of this.jobs.values()) {
      for (const index of entry.gpuIndices) map.set(index, entry.id);
      for (const uuid of entry.migDevices) mig.set(uuid, entry.id);
    }
    this.gpus.setReservations(map, mig);
  }
}

/** When a job's time limit runs out, epoch ms: its start plus its limit (null: no limit, or not started). */
export function deadlineOf(job: Pick<Job, 'started_at' | 'time_limit_s'>): number | null {
  if (job.time_limit_s === null || job.started_at === null) return null;
  return Date.parse(job.started_at) + job.time_limit_s * 1000;
}

/**
 * How long after SIGKILL a job's processes are taken to be gone; a job still here after that has
 * processes that survive it (uninterruptible sleep: stuck I/O, a hung driver call), and their end is
 * not known. Also how long a stop waits to name such survivors (see JobStopper).
 */
export const SIGKILL_SETTLE_MS = 2000;

/**
 * Whether some of `entry`'s processes outlived SIGKILL: it was sent SIGKILL_SETTLE_MS ago or more and
 * the job is still here. They hold its GPUs for as long as they last, which nothing bounds.
 */
function survivesKill(entry: ActiveJob, now: number): boolean {
  return entry.killSentAt !== null && now - entry.killSentAt >= SIGKILL_SETTLE_MS;
}

/**
 * When a job being stopped (a kill, an abort, its time limit, a preemption) is gone at the latest,
 * epoch ms: its SIGKILL time while that is armed; now once SIGKILL was sent (a kill, or its grace ran
 * out) — see survivesKill for a job still here well after. Null when nothing bounds it: not being
 * stopped, or a trainer_stop its trainer is to honour.
 */
function stopBound(entry: ActiveJob, now: number): number | null {
  if (entry.killAt !== null) return entry.killAt;
  if (entry.killSentAt !== null) return now;
  if (killsAtOnce(entry.request)) return now;
  // A first signal went and its SIGKILL timer is no longer armed: the grace ran out, SIGKILL went.
  if (entry.request !== null && entry.request !== 'trainer_stop' && entry.sent.size > 0) return now;
  return null;
}
