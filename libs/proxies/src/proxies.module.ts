import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { errorCodes } from 'fastify';
import { JobsModule } from '@trainyard/jobs';
import { QueueModule } from '@trainyard/queue';
import { InferenceProxyController } from './inference-proxy.controller';
import { TensorboardProxyController } from './tensorboard-proxy.controller';
import { TensorboardWebSocketProxy } from './tensorboard-ws';
import { DatasetServerProxyController, DatasetServersController } from './dataset-servers.controller';
import { DatasetServerRegistry } from './dataset-registry';
import { GenerationPresets } from './generation-presets';
import { GenerationPresetsController } from './generation-presets.controller';
import { JobListeners } from './job-listeners';
import { ServiceEndpoints } from './service-endpoints';

/** TensorBoard posts forms (multipart, urlencoded): under its prefix any body passes through as bytes. */
const TB_ROUTE = /^\/api\/tb\//;

/** Same-origin proxies to service jobs and user-named servers, and the generation presets. */
@Module({
  imports: [JobsModule, QueueModule],
  controllers: [
    InferenceProxyController,
    TensorboardProxyController,
    DatasetServersController,
    DatasetServerProxyController,
    GenerationPresetsController,
  ],
  providers: [
    ServiceEndpoints,
    JobListeners,
    DatasetServerRegistry,
    GenerationPresets,
    TensorboardWebSocketProxy,
  ],
})
export class ProxiesModule implements OnModuleInit {
  constructor(private readonly adapter: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter.getInstance<FastifyInstance>();
    fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
      // Elsewhere an unknown type stays what it was without this parser: 415.
      if (TB_ROUTE.test(request.routeOptions.url ?? '')) done(null, body);
      else
        done(
          new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(String(request.headers['content-type'] ?? '')),
          undefined,
        );
    });
  }
}
