import { Module } from '@nestjs/common';
import { JobsModule } from '@trainyard/jobs';
import { QueueModule } from '@trainyard/queue';
import { SchedulerModule } from '@trainyard/scheduler';
import { ServiceSupervisor } from './service-supervisor';
import { ServiceJobEvents } from './service-events.handler';
import { ServicesMetrics } from './services.metrics';
import { ServicesController } from './services.controller';

/** Services: long-lived jobs declared in server_config.yaml, kept running once each. */
@Module({
  imports: [JobsModule, QueueModule, SchedulerModule],
  controllers: [ServicesController],
  providers: [ServiceSupervisor, ServiceJobEvents, ServicesMetrics],
})
export class ServicesModule {}
