import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MetricsRegistry } from '@trainyard/metrics';
import { GpuInventory } from './gpu-inventory';
import { GPU_PROVIDER_STATES } from './gpu.types';

/**
 * What an operator alerts on about each GPU's use, read from the inventory at scrape time: whether
 * it is disabled (maintenance), its priority gate, whether a job holds it, and the provider's state
 * (1 for the current one: `ok`, `no_devices`, `error`…, 0 for every other). Every GPU last seen is
 * present, 0 included — also while nvidia-smi fails (its policy and reservation still hold), so an
 * alert on a value never loses its series.
 */
@Injectable()
export class GpuStateMetrics {
  constructor(metrics: MetricsRegistry, inventory: GpuInventory) {
    const registers = [metrics.registry];
    type Gpu = ReturnType<GpuInventory['knownPlacement']>[number];
    const perGpu = (name: string, help: string, read: (gpu: Gpu) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['gpu'],
        registers,
        collect() {
          this.reset();
          for (const gpu of inventory.knownPlacement()) {
            const value = read(gpu);
            if (value !== null) this.set({ gpu: String(gpu.index) }, value);
          }
        },
      });
    perGpu('trainyard_gpu_disabled', 'GPU disabled by its policy (1) or not (0)', (g) =>
      g.disabled ? 1 : 0,
    );
    perGpu(
      'trainyard_gpu_min_priority',
      'Lowest job priority the GPU takes (its policy gate); absent when ungated',
      (g) => g.min_priority,
    );
    perGpu('trainyard_gpu_reserved', 'GPU held by a job (1) or free (0)', (g) =>
      g.reserved_by === null ? 0 : 1,
    );
    new Gauge({
      name: 'trainyard_gpu_provider_state',
      help: 'The GPU provider state (1 for the current state)',
      labelNames: ['provider', 'state'],
      registers,
      collect() {
        this.reset();
        const view = inventory.view();
        for (const state of GPU_PROVIDER_STATES)
          this.set({ provider: view.provider, state }, state === view.state ? 1 : 0);
      },
    });
  }
}
