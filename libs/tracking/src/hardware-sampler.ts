import { Injectable, Logger } from '@nestjs/common';
import { GpuInventory } from '@trainyard/gpus';
import { JobRepository } from '@trainyard/jobs';
import { RunRepository } from './infrastructure/run.repository';
import type { LogBatch } from './log-batch';
import { RunsService } from './runs.service';

/** Seconds between hardware samples (goodseed's HardwareMonitorDaemon interval). */
export const HARDWARE_SAMPLE_INTERVAL_MS = 10_000;

/**
 * Hardware series for each running job's run, from the GPU provider's latest snapshot (no extra
 * nvidia-smi call): per GPU of the job, `sys/gpu<N>/utilization` (%), `sys/gpu<N>/memory_used_mib`
 * and `sys/gpu<N>/power_w`, at step = seconds since the job started. N is the host's GPU index.
 */
@Injectable()
export class HardwareSampler {
  private readonly logger = new Logger('Tracking');

  constructor(
    private readonly inventory: GpuInventory,
    private readonly jobs: JobRepository,
    private readonly runs: RunRepository,
    private readonly service: RunsService,
  ) {}

  async sample(now = Date.now()): Promise<void> {
    const snapshot = this.inventory.current();
    const byIndex = new Map(snapshot.gpus.map((gpu) => [gpu.index, gpu]));
    for (const job of await this.jobs.withStatus(['running'])) {
      if (job.gpu_indices.length === 0 || !job.started_at) continue;
      const run = await this.runs.findByJob(job.id);
      if (!run || run.status !== 'running') continue;
      const step = Math.round((now - Date.parse(job.started_at)) / 1000);
      const batch: LogBatch = {
        metrics: { paths: [], steps: [], values: [] },
        strings: { paths: [], steps: [], values: [] },
        configs: [],
        status: undefined,
      };
      for (const index of job.gpu_indices) {
        const gpu = byIndex.get(index);
        if (!gpu) continue;
        for (const [name, value] of [
          ['utilization', gpu.utilization_gpu],
          ['memory_used_mib', gpu.memory_used_mib],
          ['power_w', gpu.power_draw_w],
        ] as const) {
          if (value === null) continue;
          batch.metrics.paths.push(`sys/gpu${index}/${name}`);
          batch.metrics.steps.push(step);
          batch.metrics.values.push(value);
        }
      }
      if (batch.metrics.paths.length === 0) continue;
      try {
        await this.service.log(run.run_id, batch);
      } catch (err) {
        this.logger.warn(`hardware sample for run ${run.run_id} failed: ${(err as Error).message}`);
      }
    }
  }
}
