import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { GPU_POLL_INTERVAL_MS, GpuInventory } from './gpu-inventory';

/** The GPU monitor's clock: a new snapshot every 2 s (the first one is taken at init). */
@Injectable()
export class GpusScheduler implements OnModuleInit, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly inventory: GpuInventory) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.inventory.poll(), GPU_POLL_INTERVAL_MS);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
