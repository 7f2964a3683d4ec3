import { Module } from '@nestjs/common';
import { GpusModule } from '@trainyard/gpus';
import { JobsModule } from '@trainyard/jobs';
import { QueueModule } from '@trainyard/queue';
import { Dispatcher } from './dispatcher';
import { BeforeFirstDispatch } from './before-first-dispatch';
import { DependencyGate } from './dependency-gate';
import { CountJobEnds, SchedulerMetrics } from './scheduler.metrics';
import { SchedulerController } from './scheduler.controller';
import { SchedulerStateRepository } from './infrastructure/scheduler-state.repository';
import { SetSchedulerEnabledHandler } from './commands/set-scheduler-enabled.handler';
import { TerminateJobHandler } from './commands/terminate-job.handler';
import { JobProcessIdsHandler } from './queries/job-process-ids.handler';
import { StartBlockerHandler } from './queries/start-blocker.handler';
import { HeldGpusHandler } from './queries/held-gpus.handler';
import { WakeDispatcherOnChange } from './wake-dispatcher.handler';
import { ActiveJobs } from './supervision/active-jobs';
import { JobLauncher } from './supervision/job-launcher';
import { LateLogNotes } from './supervision/late-log-notes';
import { LaunchFiles } from './supervision/launch-files';
import { JobProcesses } from './supervision/job-processes';
import { JobReaper } from './supervision/job-reaper';
import { JobReattacher } from './supervision/job-reattacher';
import { JobStopper } from './supervision/job-stopper';
import { GpuKillStopsJobs } from './supervision/gpu-kill-stops-jobs';

@Module({
  imports: [GpusModule, JobsModule, QueueModule],
  controllers: [SchedulerController],
  providers: [
    BeforeFirstDispatch,
    CountJobEnds,
    DependencyGate,
    Dispatcher,
    GpuKillStopsJobs,
    ActiveJobs,
    JobLauncher,
    LateLogNotes,
    LaunchFiles,
    JobProcesses,
    JobProcessIdsHandler,
    JobReaper,
    JobReattacher,
    JobStopper,
    SchedulerMetrics,
    SchedulerStateRepository,
    SetSchedulerEnabledHandler,
    StartBlockerHandler,
    HeldGpusHandler,
    TerminateJobHandler,
    WakeDispatcherOnChange,
  ],
  exports: [ActiveJobs, BeforeFirstDispatch, JobProcesses],
})
export class SchedulerModule {}
