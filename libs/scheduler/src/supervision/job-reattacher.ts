import { Inject, Injectable, Logger } from '@nestjs/common';
import { isProcessAlive, SERVER_CONFIG, ServerConfig } from '@trainyard/core';
import { ACTIVE_STATUSES, isTerminal, isTerminationRequest, JobFiles, JobRepository } from '@trainyard/jobs';
import { ActiveJobs, deadlineOf } from './active-jobs';
import { JobProcesses } from './job-processes';
import { LAUNCH_EVIDENCE_GRACE_MS } from './job-launcher';
import { JobReaper, readExitFile } from './job-reaper';
import { JobStopper } from './job-stopper';

/**
 * The re-attach verb, at boot: every job the database says is active is watched again — by its
 * monitor's pid and start time, or, when that is gone or was never recorded (a crash between
 * claim and launch), by the processes tagged with its id. A job is settled only on evidence: its
 * processes are gone, and its exit status is read, or its launch had time to show up and did not.
 */
@Injectable()
export class JobReattacher {
  private readonly logger = new Logger('Jobs');

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly active: ActiveJobs,
    private readonly jobs: JobRepository,
    private readonly reaper: JobReaper,
    private readonly stopper: JobStopper,
    private readonly processes: JobProcesses,
    private readonly files: JobFiles,
  ) {}

  async reattachAll(): Promise<void> {
    for (const job of await this.jobs.withStatus(ACTIVE_STATUSES)) {
      const entry = this.active.add({
        id: job.id,
        gpuIndices: job.gpu_indices,
        migDevices: job.mig_devices,
        graceMs: (job.kill_grace_s ?? this.config.kill_grace_seconds) * 1000,
        watch: 'poll',
        request: isTerminationRequest(job.termination_reason) ? job.termination_reason : null,
        deadline: deadlineOf(job),
        // Known even when the monitor is gone: what is left in it is still the job's.
        cgroup: this.processes.cgroupOf({
          id: job.id,
          monitorPid: job.pid ?? 0,
          startTime: job.proc_start_time,
        }),
      });
      // Its command ended while no server watched (its exit status is written), though its monitor
      // may still be winding down, or waiting on what the command left behind, as this server starts.
      if (job.status !== 'terminating' && readExitFile(this.files.exitStatus(job.id)) !== null)
        entry.endedWhileDown = true;
      let monitorAlive = false;
      if (job.pid) {
        // Its monitor, even when it is gone (killed): the job was seen started, and what is left of
        // it (in its cgroup, or tagged) is still the job's; only a launch never recorded is looked for.
        entry.monitorPid = job.pid;
        entry.monitorStartTime = job.proc_start_time;
        monitorAlive = isProcessAlive(job.pid, job.proc_start_time);
        if (monitorAlive && !this.processes.writesLogOf(job.pid, job.id)) {
          // Its pid and start time, but not our log: another server's monitor (this state directory
          // is a copy of one whose jobs run on). Neither adopted nor ever signalled; its GPUs stay
          // held here while it runs (its processes hold them), and it is settled once it is gone.
          const note =
            `its monitor (pid ${job.pid}) wrote another state directory's log (is ${this.config.paths.home} ` +
            'a copy?): not adopted, nothing signalled; its exit status is in that directory';
          this.logger.warn(
            `${job.id}: its monitor (pid ${job.pid}) writes another state directory's log (is ${this.config.paths.home} ` +
              'a copy?): not adopted and never signalled from here; its GPUs stay reserved until it ends',
          );
          entry.endNotes.push(note);
          Object.assign(entry, { monitorPid: 0, monitorStartTime: null, cgroup: null });
          entry.foreignMonitor = { pid: job.pid, startTime: job.proc_start_time };
          monitorAlive = false;
        } else if (monitorAlive && this.processes.writesReplacedLogOf(job.pid, job.id)) {
          const note =
            `its log file was replaced while it ran (was ${this.config.paths.home} restored from a copy?): ` +
            'its output since then is not in its log';
          this.logger.warn(`re-attached ${job.id} (pid ${job.pid}); ${note}`);
          entry.endNotes.push(note);
        } else if (monitorAlive) this.logger.log(`re-attached ${job.id} (pid ${job.pid})`);
        else this.logger.log(`re-attached ${job.id}; its monitor (pid ${job.pid}) is gone`);
      } else {
        // Claimed but the launch was never recorded: found by its tag, or given time to show up.
        const adopted = this.reaper.adoptByTag(entry);
        monitorAlive = adopted !== null;
        if (adopted) await adopted;
        else {
          entry.noEvidenceUntil = Date.now() + LAUNCH_EVIDENCE_GRACE_MS;
          this.logger.warn(
            `${job.id} was starting when the server stopped; waiting for evidence of how it went`,
          );
        }
      }
      if (!monitorAlive) {
        await this.reaper.settleIfGone(entry);
        if (!this.active.has(job.id)) continue;
      }
      // Another directory's job is never stopped from here (see ActiveJob.foreignMonitor).
      if (entry.foreignMonitor) continue;
      // The limit keeps counting from the job's start: a deadline passed while down stops it now.
      if (entry.request === null) this.stopper.armTimeLimit(entry);
      // Terminating without a request: its command ended (its status recorded) and what it left
      // behind was being stopped.
      if (job.status === 'terminating' && entry.request === null) entry.mainExit = job.exit_code;
      // A stop under way before the restart goes on where it was (a stop request, or what a
      // command left behind): no signal twice, SIGKILL one grace period after the first step.
      if (entry.request || job.status === 'terminating') await this.stopper.resume(entry);
    }
    // A cgroup left by a job that ended while no server watched goes once it is empty.
    this.processes.removeStale();
    await this.removeSpentLeftovers();
    this.reaper.startPolling();
  }

  /**
   * The control directories and secret files of finished jobs: a job that ended while no server
   * watched, or a crash right after an end's commit, leaves them (the reaper removes them after each
   * end). Those of queued and active jobs stay (a requeued job keeps its control directory); those
   * of deleted jobs are the GC's. A failure is logged, never stops the boot.
   */
  private async removeSpentLeftovers(): Promise<void> {
    try {
      const statuses = await this.jobs.dependencyTargets(this.files.withSpendableFiles());
      const finished = [...statuses].filter(([, job]) => isTerminal(job.status)).map(([id]) => id);
      this.files.removeSpent(finished);
      if (finished.length)
        this.logger.log(`removed the control and secret files of ${finished.length} finished job(s)`);
    } catch (err) {
      this.logger.warn(`could not remove finished jobs' control and secret files: ${(err as Error).message}`);
    }
  }
}
