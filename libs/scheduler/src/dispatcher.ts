import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { GpuInventory } from '@trainyard/gpus';
import { JobRepository } from '@trainyard/jobs';
import { PendingReasons } from '@trainyard/queue';
import { place, PlacementItem } from './placement';
import { JobSupervisor } from './job-supervisor';
import { SchedulerStateRepository } from './infrastructure/scheduler-state.repository';

/** A slow safety net only: dispatch is driven by events (submit, job end, policy change, toggle). */
export const SAFETY_TICK_MS = 5000;

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
  tickCount = 0;
  lastTickAt: string | null = null;

  constructor(
    private readonly jobs: JobRepository,
    private readonly gpus: GpuInventory,
    private readonly supervisor: JobSupervisor,
    private readonly reasons: PendingReasons,
    private readonly state: SchedulerStateRepository,
  ) {}

  get isEnabled(): boolean {
    return this.enabled;
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.enabled = await this.state.enabled();
    await this.gpus.ready();
    await this.supervisor.reattachAll();
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
    const queued = await this.jobs.withStatus(['queued']);
    if (!this.enabled) {
      this.reasons.replace(Object.fromEntries(queued.map((j) => [j.id, 'scheduler is paused'])));
      return;
    }
    const items: PlacementItem[] = queued.map((j) => ({
      queue_id: j.id,
      priority: j.priority,
      requested_gpus: j.requested_gpus,
      submitted_at: Date.parse(j.submitted_at),
    }));
    const result = place(items, this.gpus.placementGpus());
    this.reasons.replace(result.pending);
    const byId = new Map(queued.map((j) => [j.id, j]));
    for (const launch of result.launch) {
      if (!this.booted) return;
      await this.supervisor.launch(byId.get(launch.queue_id)!, launch.gpu_indices);
    }
  }
}
