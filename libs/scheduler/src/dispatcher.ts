import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DomainError, SERVER_CONFIG, ServerConfig, StateDirectory } from '@trainyard/core';
import { GpuInventory } from '@trainyard/gpus';
import type { Tx } from '@trainyard/database';
import {
  ACTIVE_STATUSES,
  type HeldGpus,
  Job,
  JobRepository,
  PendingReasons,
  QueuedForPlacement,
  readySinceMs,
  StartOnSubmit,
  SubmitClaim,
} from '@trainyard/jobs';
import {
  heldForIt,
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
 * The soonest the next pass runs while a pending reason counts down ("expected to start within N s",
 * a time-limit hint, a preemption cooldown) or a preemption is under way (its victims' SIGKILL
 * times, once armed, give the preemptor its estimate): nothing else may happen meanwhile. Later for
 * a far countdown (a twentieth of what is left: "within 600 s" may be 30 s old) and after a costly
 * pass (ten times its time: a pass over 10,000 queued jobs takes ~0.13 s of CPU), so refreshing
 * stays a small part of the worker's time; beyond SAFETY_TICK_MS the safety tick does it.
 */
export const COUNTDOWN_REFRESH_MS = 1000;
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
  /** The pass asked for after one whose reasons count down (see COUNTDOWN_REFRESH_MS), until it runs. */
  private refresh: NodeJS.Timeout | null = null;
  /** Settles when the running loop of passes has ended. */
  private loopEnded: Promise<void> = Promise.resolve();
  /** Submits waiting for, or running in, a gap between passes (see betweenPasses): no pass starts meanwhile. */
  private gapHolders = 0;
  /** The job that last preempted others, while it waits: the GPUs they free are held for it. */
  private preemptor: string | null = null;
  /** The GPUs the last pass held for the top waiting job (see HeldGpusQuery). */
  private held: HeldGpus | null = null;
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
    startOnSubmit.register(
      (tx, job, mustStart) => (mustStart ? this.claimToStartNow(tx, job) : this.claimOnSubmit(tx, job)),
      (work) => this.betweenPasses(work),
    );
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
    if (this.refresh) clearTimeout(this.refresh);
  }

  wake(): void {
    if (!this.booted) return;
    if (this.running || this.gapHolders > 0) {
      this.again = true;
      return;
    }
    this.running = true;
    this.loopEnded = new Promise((resolve) => setImmediate(() => void this.loop().finally(resolve)));
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.pass();
        // A submit waiting for a gap goes first; the passes asked for meanwhile run after it.
      } while (this.again && this.booted && this.gapHolders === 0);
    } catch (err) {
      this.logger.error(`scheduling pass failed: ${(err as Error).stack ?? String(err)}`);
    } finally {
      this.running = false;
    }
  }

  /**
   * Runs `work` in a gap between passes: waits for the pass under way to end, and no pass starts
   * until `work` settles (a wake meanwhile runs one pass after). A pass places jobs before it claims
   * them, so only in such a gap can a submit place and claim its job (see claimToStartNow) without
   * a pass giving the same GPUs to another. Gaps may overlap: their claims are serialised by their
   * transactions, each placing with the GPUs the one before reserved.
   */
  private async betweenPasses<T>(work: () => Promise<T>): Promise<T> {
    this.gapHolders++;
    try {
      while (this.running) await this.loopEnded;
      return await work();
    } finally {
      this.gapHolders--;
      if (this.gapHolders === 0 && this.again) this.wake();
    }
  }

  private async pass(): Promise<void> {
    const started = performance.now();
    this.tickCount += 1;
    this.lastTickAt = new Date().toISOString();
    this.reasons.setPaused(!this.enabled);
    // Without its state directory a launch could only fail (no place for the job's files): the
    // queue waits, saying why, and the safety tick tries again.
    const problem = this.enabled ? this.stateDir.problem() : null;
    this.reasons.stopLaunches(problem);
    this.held = null;
    if (!this.enabled || problem) {
      // Nothing starts; dependencies still settle, so a queued job says what else it waits for,
      // and one whose dependency failed ends now rather than once launches go on.
      const deps = await this.dependencies.settle(await this.jobs.queuedWithDependencies());
      this.reasons.replace(Object.fromEntries(deps.waiting));
      return;
    }
    const { queued, gpus, result } = await this.plan();
    // A requeued victim's reason says who preempted it, then why it still waits.
    for (const j of queued)
      if (j.preempted_note && result.pending[j.id] !== undefined)
        result.pending[j.id] = `${j.preempted_note}; ${result.pending[j.id]}`;
    if (result.blocked !== null && this.booted) await this.preempt(result, gpus, queued);
    this.reasons.replace(result.pending);
    this.held = result.held;
    const countdown = this.preemptor !== null ? Date.now() : result.countsDownTo;
    if (countdown !== null) this.refreshSoon(countdown, performance.now() - started);
    if (!this.booted) return;
    // Launched together: their claims share one transaction, their requests one write to the
    // launcher, and one job's launch never waits for another's. Placement gave each its own GPUs.
    const batch = result.launch.slice(0, MAX_LAUNCHES_PER_PASS);
    if (result.launch.length > batch.length) this.again = true;
    if (batch.length) await this.launcher.launchAll(batch);
  }

  /**
   * The placement of everything queued, as a pass makes it. Held jobs still count as queued for the
   * dependency step (their dependents keep waiting), but placement never sees them: they start
   * nowhere, hold no GPU back and block nobody (their pending reason comes from the flag:
   * PendingReasons.get). `tx`: read in the submit's transaction, recording nothing (a pass records
   * the jobs whose dependency failed).
   */
  private async plan(tx?: Tx) {
    const all = await this.jobs.queuedForPlacement(tx);
    const deps = tx ? await this.dependencies.evaluate(all, tx) : await this.dependencies.settle(all);
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
      arrayActive: capped ? await this.jobs.activeCountsByArray(tx) : undefined,
      ...this.placementOptions(),
    });
    return { queued, gpus, result };
  }

  /**
   * A pass soon (one only, however often asked) for reasons counting down to `to` (epoch ms), after a
   * pass that took `passMs`: see COUNTDOWN_REFRESH_MS.
   */
  private refreshSoon(to: number, passMs: number): void {
    const delay = Math.max(COUNTDOWN_REFRESH_MS, (to - Date.now()) / 20, 10 * passMs);
    if (this.refresh || delay >= SAFETY_TICK_MS) return;
    this.refresh = setTimeout(() => {
      this.refresh = null;
      this.wake();
    }, delay);
    this.refresh.unref();
  }

  /** The GPUs the last pass held for the top waiting job, or null (see HeldGpusQuery). */
  heldGpus(): HeldGpus | null {
    return this.held;
  }

  /** Why nothing can start now (see StartBlockerQuery), or null: what a rank's refusal says too. */
  startBlocker(): string | null {
    if (!this.booted) return 'its scheduler is still starting';
    if (!this.enabled) return 'its scheduler is paused (trainyard sched resume)';
    return this.stateDir.problem();
  }

  /**
   * A rank of a multi-node job (the submit's `mustStart`), in a gap between passes: the other ranks
   * start on their nodes and wait for it at the torchrun rendezvous, so it must start now, not wait
   * in the queue. Placed among everything queued, exactly as a pass would place it (priorities, GPU
   * policy, GPUs held for a blocked job, backfill): claimed in the submit's transaction when the
   * pass would start it. When it is the top blocked job and preempting lower-priority preemptible
   * jobs frees GPUs for it, it is queued as any job of its priority would be (the next pass, right
   * after this submit, preempts them, and their GPUs are held for it). Otherwise a 409 saying what
   * holds the GPUs rolls the submit back: nothing is queued, and the master rolls the bundle back.
   * Nothing slips in between this check and the claim: no pass runs in the gap, and other submits'
   * claims commit before or after this transaction, never inside it.
   */
  private async claimToStartNow(tx: Tx, job: Job): Promise<SubmitClaim | null> {
    const refuse = (why: string): never => {
      const message = `it cannot start on this node now (the ranks of a multi-node job start together): ${why}`;
      throw new DomainError('CONFLICT', message, [{ field: 'requested_gpus', message: why }]);
    };
    const blocker = this.startBlocker();
    if (blocker) refuse(blocker);
    const { queued, gpus, result } = await this.plan(tx);
    const launch = result.launch.find((l) => l.queue_id === job.id);
    if (launch) {
      return (await this.claimIn(tx, job, launch)) ?? refuse('it is no longer queued');
    }
    if (result.blocked?.queue_id === job.id) {
      const { plan } = await this.preemptionPlan(result, gpus, queued, tx);
      if (plan) return null;
    }
    // Placement's reason, less the GPUs it would hold for the job: refused, it is not queued.
    const pending = result.pending[job.id];
    const held = result.held?.queue_id === job.id ? heldForIt(result.held.gpu_indices) : null;
    return refuse((held ? pending?.replace(held, '') : pending) ?? 'other jobs come first');
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
    return this.claimIn(tx, job, launch);
  }

  /** Claims `job` on `launch`'s GPUs in its submit's transaction; null when it is no longer queued. */
  private async claimIn(
    tx: Tx,
    job: Job,
    launch: { gpu_indices: number[]; mig_devices: string[] },
  ): Promise<SubmitClaim | null> {
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
    const releases = this.active.releases();
    return this.gpus.placementGpus().map((g) => {
      const release = g.reserved_by === null ? undefined : releases.get(g.reserved_by);
      return {
        ...g,
        reserved_until: release?.at ?? null,
        holder_survives_kill: release?.outlivedKill ?? false,
      };
    });
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

  /** Who preemption would stop for the blocked top job of `result` (`plan` null: nobody, or not yet). */
  private async preemptionPlan(
    result: PlacementResult,
    gpus: PlacementGpu[],
    queued: readonly QueuedForPlacement[],
    tx?: Tx,
  ) {
    const blocked = result.blocked!;
    const dependsOn = queued.find((j) => j.id === blocked.queue_id)?.depends_on ?? [];
    const target = { ...blocked, depends_on: dependsOn.map((d) => d.queue_id) };
    const now = Date.now();
    const candidates = (await this.jobs.withStatus(ACTIVE_STATUSES, tx)).map((j) => {
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
    return { target, plan, candidates, options, now };
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
    const { target, plan, candidates, options, now } = await this.preemptionPlan(result, gpus, queued);
    if (plan === null) {
      // Only the cooldown stands in the way: say when it ends, or the wait reads as endless.
      const cooling = preemptionCooldown(target, gpus, candidates, options);
      if (cooling !== null) {
        result.pending[target.queue_id] +=
          `; ${cooling.victims.join(', ')} may be preempted again in ` +
          `${Math.ceil((cooling.until - now) / 1000)} s (preemption cooldown)`;
        result.countsDownTo = Math.min(result.countsDownTo ?? Infinity, cooling.until);
      }
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
