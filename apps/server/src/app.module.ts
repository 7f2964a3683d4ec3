import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { CoreModule, ServerConfig } from '@trainyard/core';
import { DatabaseModule } from '@trainyard/database';
import { JournalModule } from '@trainyard/journal';
import { AuthModule } from '@trainyard/auth';
import { MetricsModule } from '@trainyard/metrics';
import { FsModule } from '@trainyard/fs';
import { GpusModule } from '@trainyard/gpus';
import { JobsModule } from '@trainyard/jobs';
import { QueueModule } from '@trainyard/queue';
import { SchedulerModule } from '@trainyard/scheduler';
import { ServicesModule } from '@trainyard/services';
import { ClusterModule } from '@trainyard/cluster';
import { ProxiesModule } from '@trainyard/proxies';
import { ProjectsModule } from '@trainyard/projects';
import { TrackingModule } from '@trainyard/tracking';
import { ServerController } from './server.controller';
import { RestartCheck, RestartHandler, ServerLifecycle } from './server-lifecycle';

export interface AppModuleOptions {
  config: ServerConfig;
  dataSource: DataSource;
  nodeId: string;
  onRestart: RestartHandler;
  checkRestart?: RestartCheck;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        CoreModule.forRoot(options.config),
        DatabaseModule.forRoot(options.dataSource),
        JournalModule.forRoot(options.nodeId),
        MetricsModule,
        AuthModule,
        GpusModule,
        JobsModule,
        QueueModule,
        SchedulerModule,
        ServicesModule,
        FsModule,
        ClusterModule,
        ProxiesModule,
        ProjectsModule,
        TrackingModule,
      ],
      controllers: [ServerController],
      providers: [
        {
          provide: ServerLifecycle,
          useFactory: () => new ServerLifecycle(options.onRestart, options.checkRestart),
        },
      ],
    };
  }
}
