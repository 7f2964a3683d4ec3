import { Module } from '@nestjs/common';
import { JOB_TYPE_NAMES, JobsModule } from '@trainyard/jobs';
import { JobTypeRegistry } from './job-types';
import { GpusModule } from '@trainyard/gpus';
import { QueueController } from './queue.controller';
import { ArraysController } from './arrays.controller';
import { CancelArrayHandler, RetryArrayHandler } from './commands/array.handlers';
import { JobTypeRegistryProvider } from './job-type-registry.provider';
import { SubmitJobHandler } from './commands/submit-job.handler';
import { CancelQueueItemHandler } from './commands/cancel-queue-item.handler';
import { ChangeQueuePriorityHandler } from './commands/change-queue-priority.handler';
import { HoldArrayHandler, HoldQueueItemHandler } from './commands/hold-queue-item.handler';

@Module({
  imports: [JobsModule, GpusModule],
  controllers: [QueueController, ArraysController],
  providers: [
    JobTypeRegistryProvider,
    SubmitJobHandler,
    CancelQueueItemHandler,
    ChangeQueuePriorityHandler,
    HoldQueueItemHandler,
    HoldArrayHandler,
    CancelArrayHandler,
    RetryArrayHandler,
    {
      provide: JOB_TYPE_NAMES,
      inject: [JobTypeRegistry],
      useFactory: (registry: JobTypeRegistry) => () => registry.list().map((t) => t.name),
    },
  ],
  exports: [JobTypeRegistryProvider],
})
export class QueueModule {}
