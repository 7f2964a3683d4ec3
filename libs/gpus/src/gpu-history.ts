import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { GPU_POLL_INTERVAL_MS, GpuInventory } from './gpu-inventory';
import type { GpuSnapshot } from './gpu.types';

/** How far back the history goes (1 h). */
export const GPU_HISTORY_WINDOW_MS = 3_600_000;
/** Samples kept per GPU: one per poll for the whole window, plus slack for slow polls catching up. */
const CAPACITY = Math.ceil(GPU_HISTORY_WINDOW_MS / GPU_POLL_INTERVAL_MS) + 60;

interface Sample {
  /** Unix ms. */
  t: number;
  utilization_gpu: number | null;
  memory_used_mib: number | null;
}

/** One GPU's history averaged into buckets; the arrays are parallel, oldest first. */
export interface GpuHistorySeries {
  index: number;
  /** The latest memory size seen (MiB), to scale memory_used_mib; null when not reported. */
  memory_total_mib: number | null;
  /** Start of each bucket, Unix ms; buckets without a sample are left out. */
  t: number[];
  /** Mean GPU utilization over the bucket (%); null when nvidia-smi reported none. */
  utilization_gpu: Array<number | null>;
  /** Mean memory in use over the bucket (MiB); null when nvidia-smi reported none. */
  memory_used_mib: Array<number | null>;
}

/** Fixed-capacity ring of one GPU's samples (oldest overwritten first). */
class SampleRing {
  private readonly items: Sample[] = [];
  private next = 0;

  push(sample: Sample): void {
    if (this.items.length < CAPACITY) this.items.push(sample);
    else this.items[this.next] = sample;
    this.next = (this.next + 1) % CAPACITY;
  }

  /** Oldest first. */
  since(t: number): Sample[] {
    const ordered =
      this.items.length < CAPACITY
        ? this.items
        : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
    return ordered.filter((s) => s.t >= t);
  }
}

/**
 * The last hour of per-GPU utilization and memory use, from the snapshots the inventory already
 * takes (every 2 s): nothing extra is collected. In memory only; a restart starts it empty.
 */
@Injectable()
export class GpuHistory implements OnModuleInit, OnModuleDestroy {
  private readonly rings = new Map<number, SampleRing>();
  private readonly totals = new Map<number, number | null>();
  private subscription: Subscription | undefined;

  constructor(private readonly inventory: GpuInventory) {}

  onModuleInit(): void {
    this.subscription = this.inventory.changes$.subscribe((reason) => {
      if (reason === 'telemetry') this.record(this.inventory.current());
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  /** Adds one snapshot's readings (a failed snapshot adds nothing: a gap, not zeros). */
  record(snapshot: GpuSnapshot): void {
    if (snapshot.state !== 'ok') return;
    const t = Date.parse(snapshot.collected_at);
    for (const gpu of snapshot.gpus) {
      let ring = this.rings.get(gpu.index);
      if (!ring) this.rings.set(gpu.index, (ring = new SampleRing()));
      ring.push({ t, utilization_gpu: gpu.utilization_gpu, memory_used_mib: gpu.memory_used_mib });
      this.totals.set(gpu.index, gpu.memory_total_mib);
    }
  }

  /**
   * Samples of the last `windowMs` before `now`, averaged into `stepMs` buckets aligned to multiples of
   * `stepMs`; by GPU index.
   */
  series(windowMs: number, stepMs: number, now = Date.now()): GpuHistorySeries[] {
    const from = now - windowMs;
    return [...this.rings.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, ring]) => {
        const series: GpuHistorySeries = {
          index,
          memory_total_mib: this.totals.get(index) ?? null,
          t: [],
          utilization_gpu: [],
          memory_used_mib: [],
        };
        let bucket: Sample[] = [];
        const flush = () => {
          if (bucket.length === 0) return;
          series.t.push(Math.floor(bucket[0].t / stepMs) * stepMs);
          series.utilization_gpu.push(mean(bucket.map((s) => s.utilization_gpu)));
          series.memory_used_mib.push(mean(bucket.map((s) => s.memory_used_mib)));
          bucket = [];
        };
        for (const sample of ring.since(from)) {
          if (bucket.length > 0 && Math.floor(sample.t / stepMs) !== Math.floor(bucket[0].t / stepMs))
            flush();
          bucket.push(sample);
        }
        flush();
        return series;
      });
  }
}

/** Mean of the readings present, rounded to 0.1; null when none is. */
function mean(values: Array<number | null>): number | null {
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return null;
  return Math.round((present.reduce((a, b) => a + b, 0) / present.length) * 10) / 10;
}
