import { Global, Module } from '@nestjs/common';
import { MetricsRegistry } from './metrics-registry';
import { MetricsController } from './metrics.controller';

@Global()
@Module({ controllers: [MetricsController], providers: [MetricsRegistry], exports: [MetricsRegistry] })
export class MetricsModule {}
