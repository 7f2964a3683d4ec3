import { Module } from '@nestjs/common';
import { GpusModule } from '@trainyard/gpus';
import { JobsModule } from '@trainyard/jobs';
import { QueueModule } from '@trainyard/queue';
import { Dispatcher } from './dispatcher';
import { JobSupervisor } from './job-supervisor';
import { SchedulerMetrics } from './scheduler.metrics';
import { SchedulerController } from './scheduler.controller';
import { SchedulerStateRepository } from './infrastructure/scheduler-state.repository';
import { SetSchedulerEnabledHandler } from './commands/set-scheduler-enabled.handler';
import { AbortJobHandler } from './commands/stop-job.handler';
import { WakeDispatcherOnChange } from './wake-dispatcher.handler';

@Module({
  imports: [GpusModule, JobsModule, QueueModule],
  controllers: [SchedulerController],
  providers: [
    Dispatcher,
    JobSupervisor,
    SchedulerMetrics,
    SchedulerStateRepository,
    SetSchedulerEnabledHandler,
    AbortJobHandler,
    WakeDispatcherOnChange,
  ],
  exports: [JobSupervisor],
})
export class SchedulerModule {}
