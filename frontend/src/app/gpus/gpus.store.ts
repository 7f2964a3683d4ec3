import { DestroyRef, Injectable, computed, effect, inject, signal, untracked } from '@angular/core';
import {
  describeGpuKill,
  type GpuDto,
  type GpuHistoryDto,
  type GpuListDto,
  getGpuHistory,
  type JobDto,
  killGpuProcesses,
  getJob,
  listGpus,
  listJobs,
  setGpuPolicy,
  streamGpus,
} from '@trainyard/sdk';
import { API, STREAM_OPTIONS, errorMessage, isStatus } from '../core/api';
import { AuthStore } from '../core/auth.store';
import { LiveStream } from '../core/live-stream';
import { RefreshBus } from '../core/refresh';
import { ToastStore } from '../core/toast.store';
import { shortId } from '../core/format';

const JOB_LOOKUP_INTERVAL_MS = 2000;
/** Sparklines: the last hour in 30 s buckets (120 points), re-read every bucket. */
const HISTORY_WINDOW_S = 3600;
const HISTORY_STEP_S = 30;

/**
 * GPUs, live from `WS /api/gpus/stream` (reconnecting with backoff), plus the policy and kill
 * actions. Provided by the GPUs view: the socket lives as long as the view.
 */
@Injectable()
export class GpusStore {
  private readonly api = inject(API);
  private readonly auth = inject(AuthStore);
  private readonly toasts = inject(ToastStore);

  private readonly snapshotState = signal<GpuListDto | null>(null);
  /** null: looked up, no such job any more. */
  private readonly jobsState = signal<ReadonlyMap<string, JobDto | null>>(new Map());
  private readonly busyState = signal<ReadonlySet<number>>(new Set());
  private readonly historyState = signal<ReadonlyMap<number, GpuHistoryDto>>(new Map());

  /** The latest snapshot (null until the first one arrives). */
  readonly snapshot = this.snapshotState.asReadonly();
  readonly gpus = computed<GpuDto[]>(() => this.snapshotState()?.gpus ?? []);
  /** Our jobs by queue_id, to name a process's or a reservation's owner. */
  readonly jobs = this.jobsState.asReadonly();
  /** GPUs with a policy change in flight. */
  readonly busy = this.busyState.asReadonly();
  /** The last hour of utilization and memory per GPU index, for the sparklines. */
  readonly history = this.historyState.asReadonly();
  private readonly live = new LiveStream(this.auth, (onFrame) =>
    streamGpus(STREAM_OPTIONS, ({ type: _type, ...frame }) => {
      onFrame();
      this.apply(frame);
    }),
  );
  readonly connection = this.live.connection.asReadonly();
  /** Why live updates stopped, while reconnecting. */
  readonly error = this.live.error.asReadonly();
  readonly loading = computed(() => this.snapshotState() === null && this.error() === null);

  private lastJobLookup = 0;
  private jobLookup: Promise<void> | null = null;

  constructor() {
    this.live.start();
    const refresh = inject(RefreshBus);
    let first = true;
    effect(() => {
      refresh.tick();
      if (first) {
        first = false;
        return;
      }
      untracked(() => void this.reload());
    });
    void this.loadHistory();
    const historyTimer = setInterval(() => void this.loadHistory(), HISTORY_STEP_S * 1000);
    inject(DestroyRef).onDestroy(() => {
      clearInterval(historyTimer);
      this.live.stop();
    });
  }

  /** Sparkline data; a failure keeps the previous lines (they are a nicety, the cards are live). */
  async loadHistory(): Promise<void> {
    try {
      const { data } = await getGpuHistory({
        client: this.api,
        query: { window_s: HISTORY_WINDOW_S, step_s: HISTORY_STEP_S },
      });
      this.historyState.set(new Map(data.gpus.map((g) => [g.index, g])));
    } catch {
      // keep what is shown
    }
  }

  /** One REST read (the refresh button), besides the stream. */
  async reload(): Promise<void> {
    try {
      this.apply((await listGpus({ client: this.api })).data);
    } catch (err) {
      this.toasts.error(errorMessage(err));
    }
  }

  /** Enables or disables the GPU; the toast offers Undo (which puts the previous state back). */
  async toggleDisabled(gpu: GpuDto): Promise<void> {
    const disabled = !gpu.disabled;
    await this.setPolicy(
      gpu,
      { disabled },
      disabled ? `GPU ${gpu.index} disabled: nothing new is placed on it.` : `GPU ${gpu.index} enabled.`,
      () =>
        void this.setPolicy({ ...gpu, disabled }, { disabled: gpu.disabled }, `GPU ${gpu.index}: undone.`),
    );
  }

  /** Sets the priority gate, or clears it with null (every priority may then use the GPU). */
  async setMinPriority(gpu: GpuDto, minPriority: number | null): Promise<void> {
    await this.setPolicy(
      gpu,
      { min_priority: minPriority },
      minPriority === null
        ? `GPU ${gpu.index}: priority gate cleared; every priority may use it.`
        : `GPU ${gpu.index}: only priority ≥ ${minPriority} is placed here.`,
      () =>
        void this.setPolicy(
          { ...gpu, min_priority: minPriority },
          { min_priority: gpu.min_priority },
          `GPU ${gpu.index}: undone.`,
        ),
    );
  }

  async killAll(gpu: GpuDto): Promise<void> {
    try {
      const { data } = await killGpuProcesses({
        client: this.api,
        path: { index: gpu.index },
        body: { confirmed: true },
      });
      // Jobs on the GPU are force-killed through their lifecycle: they are in `jobs`, not `pids`.
      const { lines, outcome } = describeGpuKill(gpu.index, data, (id) => this.jobLabelWithId(id));
      const text = lines.join('\n');
      if (outcome === 'nothing') this.toasts.info(text);
      else if (outcome === 'done') this.toasts.success(text);
      else this.toasts.error(text);
    } catch (err) {
      this.toasts.error(errorMessage(err));
    }
  }

  /** A job's name and short id, or its short id. */
  private jobLabelWithId(queueId: string): string {
    const name = this.jobsState().get(queueId)?.name;
    return name ? `${name} (${shortId(queueId)})` : shortId(queueId);
  }

  /** The label for a job id: its name, else its short id. */
  jobLabel(queueId: string): string {
    const job = this.jobsState().get(queueId);
    return job?.name ?? job?.queue_id ?? queueId;
  }

  private async setPolicy(
    gpu: GpuDto,
    change: { disabled?: boolean; min_priority?: number | null },
    done: string,
    undo?: () => void,
  ): Promise<void> {
    if (this.busyState().has(gpu.index)) return;
    this.busyState.update((s) => new Set(s).add(gpu.index));
    // Optimistic: the card changes at once; the stream confirms it a moment later.
    this.patch(gpu.index, change);
    try {
      const { data } = await setGpuPolicy({ client: this.api, path: { index: gpu.index }, body: change });
      this.patch(gpu.index, data);
      this.toasts.info(done, undo && { label: 'Undo', run: undo });
    } catch (err) {
      this.patch(gpu.index, { disabled: gpu.disabled, min_priority: gpu.min_priority });
      this.toasts.error(errorMessage(err));
    } finally {
      this.busyState.update((s) => {
        const next = new Set(s);
        next.delete(gpu.index);
        return next;
      });
    }
  }

  private patch(index: number, change: Partial<GpuDto>): void {
    this.snapshotState.update((snap) =>
      snap ? { ...snap, gpus: snap.gpus.map((g) => (g.index === index ? { ...g, ...change } : g)) } : snap,
    );
  }

  private apply(snapshot: GpuListDto): void {
    this.snapshotState.set(snapshot);
    const ids = new Set<string>();
    for (const gpu of snapshot.gpus) {
      if (gpu.reserved_by) ids.add(gpu.reserved_by);
      for (const d of gpu.mig_devices) if (d.reserved_by) ids.add(d.reserved_by);
      for (const p of gpu.processes) if (p.job_id) ids.add(p.job_id);
    }
    const known = this.jobsState();
    if ([...ids].some((id) => !known.has(id))) void this.lookUpJobs(ids);
  }

  /**
   * Names the jobs holding GPUs (a stream frame carries only ids): the running ones in one call, any
   * other id (a job that ended but left a process behind) one by one. At most every few seconds.
   */
  private lookUpJobs(ids: Set<string>): Promise<void> {
    if (this.jobLookup || Date.now() - this.lastJobLookup < JOB_LOOKUP_INTERVAL_MS)
      return this.jobLookup ?? Promise.resolve();
    this.lastJobLookup = Date.now();
    this.jobLookup = (async () => {
      try {
        const found = new Map<string, JobDto | null>();
        const { data } = await listJobs({
          client: this.api,
          query: { status: 'starting,running', limit: 1000 },
        });
        for (const job of data.items) found.set(job.queue_id, job);
        const missing = [...ids].filter((id) => !found.has(id) && !this.jobsState().has(id)).slice(0, 8);
        await Promise.all(
          missing.map(async (id) => {
            try {
              found.set(id, (await getJob({ client: this.api, path: { queue_id: id } })).data);
            } catch (err) {
              if (isStatus(err, 404)) found.set(id, null); // deleted: keep showing the id
            }
          }),
        );
        this.jobsState.update((map) => new Map([...map, ...found]));
      } catch {
        // names are a nicety; ids still show
      } finally {
        this.jobLookup = null;
      }
    })();
    return this.jobLookup;
  }
}
