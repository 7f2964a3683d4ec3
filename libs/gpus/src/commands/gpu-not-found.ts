import { DomainError } from '@trainyard/core';
import type { GpuInventory } from '../gpu-inventory';

/** 404 that says which GPUs exist (and why there are none, when the provider failed). */
export function gpuNotFound(index: number, inventory: GpuInventory): DomainError {
  const known = inventory.knownIndices();
  const { state, message } = inventory.current();
  const which =
    known.length > 0
      ? `this host has GPU${known.length === 1 ? '' : 's'} ${known.join(', ')}`
      : `this host has no GPUs right now (${state}${message ? `: ${message}` : ''})`;
  return new DomainError('GPU_NOT_FOUND', `No GPU with index ${index}; ${which}`, {
    gpu_index: index,
    known_indices: known,
  });
}
