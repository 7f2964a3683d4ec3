import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SERVER_CONFIG, ServerConfig, StateDirectory } from '@trainyard/core';
import { GpuInventory } from '@trainyard/gpus';
import type { Tx } from '@trainyard/database';
import {
  ACTIVE_STATUSES,
  Job,
  JobRepository,
  PendingReasons,
  QueuedForPlacement,
  readySinceMs,
  StartOnSubmit,
  SubmitClaim,
} from '@trainyard/jobs';
import {
  place,
  PlacementGpu,
  PlacementItem,
  PlacementResult,
  planPreemption,
  preemptionCooldown,
} from './placement';
import { JobStopper } from './supervision/job-stopper';
import { ActiveJobs } from './supervision/active-jobs';
import { JobLauncher } from './supervision/job-launcher';
import { JobReattacher } from './supervision/job-reattacher';
import { SchedulerStateRepository } from './infrastructure/scheduler-state.repository';
import { BeforeFirstDispatch } from './before-first-dispatch';
import { DependencyGate } from './dependency-gate';

/** A slow safety net only: dispatch is driven by events (submit, job end, policy change, toggle). */
export const SAFETY_TICK_MS = 5000;
/**
 * Launches per pass before the next pass re-reads the queue; they run concurrently, and the API and
 * the reaping of jobs interleave with them, so a thousand queued jobs never stall either.
 */
export const MAX_LAUNCHES_PER_PASS = 32;

/**
 * Runs placement passes. Wake-ups coalesce: while a pass runs, further wakes schedule exactly one
 * more pass, so a burst of submits costs two passes, not one per submit.
 */
@Injectable()
export class Dispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Scheduler');
  private enabled = true;
  private running = false;
  private again = false;
  private booted = false;
  private timer: NodeJS.Timeout | null = null;
  /** The job that last preempted others, while it waits: the GPUs they free are held for it. */
  private preemptor: string | null = null;
  tickCount = 0;
  lastTickAt: string | null = null;

  constructor(
    private readonly jobs: JobRepository,
    private readonly gpus: GpuInventory,
    private readonly launcher: JobLauncher,
    private readonly reattacher: JobReattacher,
    private readonly reasons: PendingReasons,
    private readonly state: SchedulerStateRepository,
    private readonly beforeFirst: BeforeFirstDispatch,
    private readonly dependencies: DependencyGate,
    private readonly active: ActiveJobs,
    private readonly stopper: JobStopper,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly stateDir: StateDirectory,
    startOnSubmit: StartOnSubmit,
  ) {
    startOnSubmit.register((tx, job) => this.claimOnSubmit(tx, job));
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.reasons.setPaused(!enabled);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.enabled = await this.state.enabled();
    this.reasons.setPaused(!this.enabled);
    await this.gpus.ready();
    await this.reattacher.reattachAll();
    // Wakes asked for meanwhile (what these steps enqueue) are covered by the wake() below.
    await this.beforeFirst.runAll();
    this.booted = true;
    this.timer = setInterval(() => this.wake(), SAFETY_TICK_MS);
    this.timer.unref();
    this.wake();
  }

  onModuleDestroy(): void {
    this.booted = false;
    if (this.timer) clearInterval(this.timer);
  }

  wake(): void {
    if (!this.booted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && this.booted);
    } catch (err) {
      this.logger.error(`scheduling pass failed: ${(err as Error).stack ?? String(err)}`);
    } finally {
      this.running = false;
    }
  }

  private async pass(): Promise<void> {
    this.tickCount += 1;
    this.lastTickAt = new Date().toISOString();
    this.reasons.setPaused(!this.enabled);
    // Without its state directory a launch could only fail (no place for the job's files): the
    // queue waits, saying why, and the safety tick tries again.
    const problem = this.enabled ? this.stateDir.problem() : null;
    this.reasons.stopLaunches(problem);
    if (!this.enabled || problem) {
      // Nothing starts; dependencies still settle, so a queued job says what else it waits for,
      // and one whose dependency failed ends now rather than once launches go on.
      const deps = await this.dependencies.settle(await this.jobs.queuedWithDependencies());
      this.reasons.replace(Object.fromEntries(deps.waiting));
      return;
    }
    const all = await this.jobs.queuedForPlacement();
    // Held jobs still count as queued for the dependency step (their dependents keep waiting), but
    // placement never sees them: they start nowhere, hold no GPU back and block nobody (their
    // pending reason comes from the flag: PendingReasons.get).
    const deps = await this.dependencies.settle(all);
    let queued = all.filter((j) => !j.held);
    if (deps.failed.size) queued = queued.filter((j) => !deps.failed.has(j.id));
    if (this.preemptor !== null && !queued.some((j) => j.id === this.preemptor)) this.preemptor = null;
    const items = queued.map((j) =>
      placementItem(
        j,
        deps.waiting.get(j.id) ?? null,
        this.config.kill_grace_seconds,
        deps.readySince.get(j.id),
      ),
    );
    const capped = queued.some((j) => j.array_max_running !== null);
    const gpus = this.placementGpus();
    const result = place(items, gpus, {
      arrayActive: capped ? await this.jobs.activeCountsByArray() : undefined,
      ...this.placementOptions(),
    });
    // A requeued victim's reason says who preempted it, then why it still waits.
    for (const j of queued)
      if (j.preempted_note && result.pending[j.id] !== undefined)
        result.pending[j.id] = `${j.preempted_note}; ${result.pending[j.id]}`;
    if (result.blocked !== null && this.booted) await this.preempt(result, gpus, queued);
    this.reasons.replace(result.pending);
    if (!this.booted) return;
    // Launched together: their claims share one transaction, their requests one write to the
    // launcher, and one job's launch never waits for another's. Placement gave each its own GPUs.
    const batch = result.launch.slice(0, MAX_LAUNCHES_PER_PASS);
    if (result.launch.length > batch.length) this.again = true;
    if (batch.length) await this.launcher.launchAll(batch);
  }

  /**
   * Claims a job in its submit's transaction when nothing could start before it: the scheduler is on
   * and between passes (so no pass holds placements it has not claimed yet), nothing is being
   * preempted for, no other job is queued, it is not held (submitted so), it waits for no
   * dependency, and placement starts it now.
   * The same placement as a pass, so the outcome is the one a pass would reach, one commit earlier.
   */
  private async claimOnSubmit(tx: Tx, job: Job): Promise<SubmitClaim | null> {
    if (!this.booted || !this.enabled || this.running || this.preemptor !== null) return null;
    if (this.stateDir.problem()) return null; // the queue waits: see pass()
    if (job.held || job.depends_on.length > 0 || job.array_id !== null) return null;
    if (await this.jobs.anyQueuedBesides(tx, job.id)) return null;
    // Alone in the queue: its queue position (seq) is moot.
    const alone = placementItem({ ...job, seq: 0 }, null, this.config.kill_grace_seconds);
    const placed = place([alone], this.placementGpus(), this.placementOptions());
    const [launch] = placed.launch;
    if (!launch) {
      // Alone in the queue, so this is the reason a pass would give: the answer carries it at once.
      const reason = placed.pending[job.id];
      if (reason) this.reasons.set(job.id, reason);
      return null;
    }
    const claimed = await this.launcher.claim(tx, job, launch.gpu_indices, launch.mig_devices);
    if (!claimed) return null;
    return {
      job: claimed.job,
      events: claimed.events,
      start: () =>
        void this.launcher
          .start(claimed)
          .catch((err: Error) => this.logger.error(`${job.id}: launch failed: ${err.stack ?? err.message}`)),
    };
  }

  /** The GPUs as placement sees them; backfill plans with when each busy one is let go at the latest (its job's limit plus grace). */
  private placementGpus(): PlacementGpu[] {
    const releases = this.active.releaseTimes();
    return this.gpus.placementGpus().map((g) => ({
      ...g,
      reserved_until: g.reserved_by === null ? null : (releases.get(g.reserved_by) ?? null),
    }));
  }

  private placementOptions() {
    return {
      mode: this.config.scheduling,
      now: Date.now(),
      priority_aging_per_hour: this.config.priority_aging,
      preemptor: this.preemptor,
      mig_devices: this.gpus.placementMigDevices(),
    };
  }

  /**
   * The blocked top job may preempt lower-priority preemptible jobs (see preemption.ts): each victim
   * is asked to checkpoint — its stop is recorded at once, so the next pass counts its GPUs as
   * freeing and never picks a second victim for them — and is requeued once its processes are gone.
   */
  private async preempt(
    result: PlacementResult,
    gpus: PlacementGpu[],
    queued: readonly QueuedForPlacement[],
  ): Promise<void> {
    const blocked = result.blocked!;
    const dependsOn = queued.find((j) => j.id === blocked.queue_id)?.depends_on ?? [];
    const target = { ...blocked, depends_on: dependsOn.map((d) => d.queue_id) };
    const now = Date.now();
    const candidates = (await this.jobs.withStatus(ACTIVE_STATUSES)).map((j) => {
      const entry = this.active.get(j.id);
      return {
        queue_id: j.id,
        priority: j.priority,
        preemptible: j.preemptible,
        gpu_indices: j.gpu_indices,
        running: j.status === 'running' && (entry?.monitorPid ?? 0) > 0,
        stopping: j.status === 'terminating' || (entry?.request ?? null) !== null,
        preempted_ms: j.preempted_at === null ? null : Date.parse(j.preempted_at),
        started_ms: j.started_at === null ? now : Date.parse(j.started_at),
      };
    });
    const options = {
      now,
      cooldown_ms: this.config.preemption_cooldown_seconds * 1000,
      taken: new Set(result.launch.flatMap((l) => l.gpu_indices)),
    };
    const plan = planPreemption(target, gpus, candidates, options);
    if (plan === null) {
      // Only the cooldown stands in the way: say when it ends, or the wait reads as endless.
      const cooling = preemptionCooldown(target, gpus, candidates, options);
      if (cooling !== null)
        result.pending[target.queue_id] +=
          `; ${cooling.victims.join(', ')} may be preempted again in ` +
          `${Math.ceil((cooling.until - now) / 1000)} s (preemption cooldown)`;
      return;
    }
    this.preemptor = target.queue_id;
    result.pending[target.queue_id] += `; preempting ${plan.victims.join(', ')}`;
    const note = `preempted by ${target.queue_id} (priority ${target.priority})`;
    for (const victim of plan.victims) {
      this.logger.log(`${victim}: ${note}; asking it to checkpoint`);
      // Not awaited: the stop verifies for up to 2 s, and the request is recorded before that.
      this.stopper
        .stop(victim, 'preempted', true, note)
        .catch((err: Error) => this.logger.error(`${victim}: preemption failed: ${err.message}`));
    }
  }
}

/**
 * A queued job as placement takes it; `waitingFor`: the dependency it still waits for, if any;
 * `depsMetMs`: since when its dependencies are all met (epoch ms), if it has any.
 */
function placementItem(
  j: Omit<QueuedForPlacement, 'depends_on' | 'preempted_note'>,
  waitingFor: string | null,
  defaultGraceS: number,
  depsMetMs = 0,
): PlacementItem {
  return {
    queue_id: j.id,
    priority: j.priority,
    requested_gpus: j.requested_gpus,
    gpu_profile: j.gpu_profile,
    seq: j.seq,
    waiting_for: waitingFor,
    array_id: j.array_id,
    array_max_running: j.array_max_running,
    time_limit_s: j.time_limit_s,
    kill_grace_s: j.kill_grace_s ?? defaultGraceS,
    // Ready since its submit, its requeue after a preemption, or its dependencies were met: what
    // aging counts from (time spent running, waiting for a dependency or held is no time waited).
    ready_ms: readySinceMs(j, depsMetMs),
    held_ms: j.held_ms,
  };
}
