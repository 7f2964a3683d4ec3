import type { ServerConfig } from '@trainyard/core';
import { FakeGpuProvider } from './fake/fake-gpu.provider';
import type { GpuProvider } from './gpu.types';
import { NvidiaSmiProvider } from './nvidia-smi/nvidia-smi.provider';
import type { ServerIdentity } from './process-env';

/** Injection token of the host's `GpuProvider`. */
export const GPU_PROVIDER = Symbol('GPU_PROVIDER');
/** Injection token of this server's `ServerIdentity` (node id and uid), for GPU process attribution. */
export const SERVER_IDENTITY = Symbol('SERVER_IDENTITY');

/**
 * `--fake-gpus N` / TRAINYARD_FAKE_GPUS picks the fake provider (N may be 0; it sees this server's
 * jobs only; `--fake-mig` puts some of them in MIG mode); otherwise nvidia-smi (TRAINYARD_NVIDIA_SMI or `nvidia-smi` on PATH), whose child
 * inherits this process's environment.
 */
export function createGpuProvider(
  config: Pick<ServerConfig, 'fake_gpus' | 'fake_mig' | 'nvidia_smi'>,
  identity: ServerIdentity,
): GpuProvider {
  if (config.fake_gpus !== null)
    return new FakeGpuProvider({ count: config.fake_gpus, identity, mig: config.fake_mig });
  return new NvidiaSmiProvider({ binary: config.nvidia_smi });
}
