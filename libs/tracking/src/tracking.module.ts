import { Module } from '@nestjs/common';
import { AuthModule } from '@trainyard/auth';
import { GpusModule } from '@trainyard/gpus';
import { JobsModule } from '@trainyard/jobs';
import { GoodseedRuns } from './goodseed-runs';
import { HardwareSampler } from './hardware-sampler';
import { RunRepository } from './infrastructure/run.repository';
import { JobRuns } from './job-runs';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';
import { TrackingScheduler } from './tracking.scheduler';

/**
 * Run tracking: `/api/runs*` (goodseed-compatible runs, log batches, downsampled series), a run per
 * job with a scoped ingest token, goodseed files from `--goodseed-dir`, GPU series of running jobs.
 */
@Module({
  imports: [AuthModule, GpusModule, JobsModule],
  controllers: [RunsController],
  providers: [RunRepository, RunsService, GoodseedRuns, JobRuns, HardwareSampler, TrackingScheduler],
  exports: [RunsService],
})
export class TrackingModule {}
