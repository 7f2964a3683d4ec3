import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsRegistry } from '@trainyard/metrics';
import type { GpuSnapshot, GpuTelemetry } from './gpu.types';

const MIB = 1024 * 1024;

/** Per-GPU gauges from every snapshot. A reading nvidia-smi does not give is left out, never 0. */
@Injectable()
export class GpuMetrics {
  private readonly gauges: Array<{ gauge: Gauge<'gpu'>; read: (gpu: GpuTelemetry) => number | null }>;
  private readonly collectionErrors: Counter;

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    const gauge = (name: string, help: string, read: (gpu: GpuTelemetry) => number | null) => ({
      gauge: new Gauge({ name, help, labelNames: ['gpu'], registers }),
      read,
    });
    this.gauges = [
      gauge('trainyard_gpu_utilization_percent', 'GPU utilization (%)', (g) => g.utilization_gpu),
      gauge('trainyard_gpu_memory_used_bytes', 'GPU memory in use (bytes)', (g) => bytes(g.memory_used_mib)),
      gauge('trainyard_gpu_memory_total_bytes', 'GPU memory size (bytes)', (g) => bytes(g.memory_total_mib)),
      gauge('trainyard_gpu_temperature_celsius', 'GPU core temperature (°C)', (g) => g.temperature_c),
      gauge('trainyard_gpu_power_watts', 'GPU power draw (W)', (g) => g.power_draw_w),
    ];
    this.collectionErrors = new Counter({
      name: 'trainyard_gpu_collection_errors_total',
      help: 'GPU snapshots that failed (state other than ok or no_devices)',
      registers,
    });
  }

  observe(snapshot: GpuSnapshot): void {
    if (snapshot.state !== 'ok' && snapshot.state !== 'no_devices') this.collectionErrors.inc();
    for (const { gauge, read } of this.gauges) {
      // Reset first: a GPU that disappeared, or a reading that became absent, must not linger.
      gauge.reset();
      for (const gpu of snapshot.gpus) {
        const value = read(gpu);
        if (value !== null) gauge.set({ gpu: String(gpu.index) }, value);
      }
    }
  }
}

function bytes(mib: number | null): number | null {
  return mib === null ? null : mib * MIB;
}
