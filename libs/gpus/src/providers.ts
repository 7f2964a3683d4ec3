// Everything the provider layer offers; libs/gpus/src/index.ts re-exports from here.
export * from './gpu.types';
export * from './nvidia-smi/nvidia-smi-parser';
export * from './nvidia-smi/nvidia-smi.provider';
export * from './fake/fake-gpu.provider';
export * from './visible-devices';
export * from './process-env';
