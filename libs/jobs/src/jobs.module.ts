import { Module } from '@nestjs/common';
import { SERVER_CONFIG, ServerConfig } from '@trainyard/core';
import { JobFiles } from './job-files';
import { JobRepository } from './infrastructure/job.repository';
import { JobsController } from './jobs.controller';
import { LogSearchController } from './log-search.controller';
import { JobLogs } from './job-logs';
import { JobEndWatcher } from './job-end-watcher';
import { DeleteJobsHandler } from './commands/delete-jobs.handler';
import { JobsStreamGateway } from './jobs-stream.gateway';
import { QueueWaitTimer } from './queue-wait-timer';
import { JobHooks } from './job-hooks';
import { PendingReasons } from './pending-reasons';
import { KillDeadlines } from './kill-deadlines';
import { EffectivePriorities } from './effective-priorities';
import { StartOnSubmit } from './start-on-submit';
import { TrainerStatusPoller } from './control/trainer-status';

@Module({
  controllers: [JobsController, LogSearchController],
  providers: [
    JobRepository,
    JobLogs,
    JobEndWatcher,
    DeleteJobsHandler,
    JobsStreamGateway,
    QueueWaitTimer,
    JobHooks,
    PendingReasons,
    KillDeadlines,
    EffectivePriorities,
    StartOnSubmit,
    TrainerStatusPoller,
    {
      provide: JobFiles,
      useFactory: (config: ServerConfig) => new JobFiles(config.paths),
      inject: [SERVER_CONFIG],
    },
  ],
  exports: [
    JobRepository,
    JobEndWatcher,
    QueueWaitTimer,
    JobFiles,
    JobHooks,
    StartOnSubmit,
    PendingReasons,
    KillDeadlines,
    EffectivePriorities,
  ],
})
export class JobsModule {}
