import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HARDWARE_SAMPLE_INTERVAL_MS, HardwareSampler } from './hardware-sampler';

/** Run tracking's clock: a hardware sample of every running job every 10 s. */
@Injectable()
export class TrackingScheduler implements OnModuleInit, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sampler: HardwareSampler) {}

  onModuleInit(): void {
    this.timer = setInterval(
      () => void this.sampler.sample().catch(() => undefined),
      HARDWARE_SAMPLE_INTERVAL_MS,
    );
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
