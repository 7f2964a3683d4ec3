import { Logger, Module } from '@nestjs/common';
import { SERVER_CONFIG, type ServerConfig } from '@trainyard/core';
import { NODE_ID } from '@trainyard/journal';
import { KillGpuProcessesHandler } from './commands/kill-gpu-processes.handler';
import { SetGpuPolicyHandler } from './commands/set-gpu-policy.handler';
import { GpuHistory } from './gpu-history';
import { GpuInventory } from './gpu-inventory';
import { GpuJobStops } from './gpu-job-stops';
import { GpuMetrics } from './gpu-metrics';
import { GpuStateMetrics } from './gpu-state-metrics';
import { createGpuProvider, GPU_PROVIDER, SERVER_IDENTITY } from './gpu-provider.factory';
import type { ServerIdentity } from './process-env';
import { GpusController } from './gpus.controller';
import { GpusScheduler } from './gpus.scheduler';
import { GpusStreamGateway } from './gpus-stream.gateway';
import { GpuPolicyRepository } from './infrastructure/gpu-policy.repository';

/**
 * The host's GPUs: provider (nvidia-smi or fake, from the config), monitor, per-GPU policy, kill,
 * `/api/gpus` routes, the `/api/gpus/stream` WebSocket and the GPU metrics. Exports `GpuInventory`,
 * the scheduler's view.
 */
@Module({
  controllers: [GpusController],
  providers: [
    {
      provide: SERVER_IDENTITY,
      inject: [NODE_ID],
      useFactory: (nodeId: string): ServerIdentity => ({ nodeId, uid: process.getuid!() }),
    },
    {
      provide: GPU_PROVIDER,
      inject: [SERVER_CONFIG, SERVER_IDENTITY],
      useFactory: (config: ServerConfig, identity: ServerIdentity) => {
        const provider = createGpuProvider(config, identity);
        const what = config.fake_gpus !== null ? `${config.fake_gpus} fake GPU(s)` : config.nvidia_smi;
        new Logger('GpusModule').log(`GPU provider: ${provider.kind} (${what})`);
        return provider;
      },
    },
    GpuInventory,
    GpuHistory,
    GpuJobStops,
    GpuStateMetrics,
    GpuMetrics,
    GpuPolicyRepository,
    SetGpuPolicyHandler,
    KillGpuProcessesHandler,
    GpusScheduler,
    GpusStreamGateway,
  ],
  exports: [GpuInventory, GpuJobStops],
})
export class GpusModule {}
