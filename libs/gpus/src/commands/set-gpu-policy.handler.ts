import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { type ErrorDetail, MAX_PRIORITY, validationFailed } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { GpuInventory } from '../gpu-inventory';
import { type GpuPolicy, samePolicy, type StoredGpuPolicy } from '../gpu-policy';
import { GpuPolicyChangedEvent } from '../gpus.events';
import { GpuPolicyRepository } from '../infrastructure/gpu-policy.repository';
import { gpuNotFound } from './gpu-not-found';
import { SetGpuPolicyCommand } from './set-gpu-policy.command';

@CommandHandler(SetGpuPolicyCommand)
export class SetGpuPolicyHandler implements ICommandHandler<SetGpuPolicyCommand, GpuPolicy> {
  constructor(
    private readonly inventory: GpuInventory,
    private readonly policies: GpuPolicyRepository,
    private readonly journal: Journal,
  ) {}

  async execute({ gpuIndex, changes }: SetGpuPolicyCommand): Promise<GpuPolicy> {
    validate(changes);
    await this.inventory.ready();
    if (!this.inventory.has(gpuIndex)) throw gpuNotFound(gpuIndex, this.inventory);

    let previous: StoredGpuPolicy[] | undefined;
    try {
      return await this.journal.record(async (tx) => {
        // Merged inside the (serialized) transaction, so concurrent partial updates never lose a field.
        const current = this.inventory.policyOf(gpuIndex);
        const next: GpuPolicy = {
          disabled: changes.disabled ?? current.disabled,
          // null is a value here (clear the gate); only undefined keeps the current one.
          min_priority: changes.min_priority === undefined ? current.min_priority : changes.min_priority,
        };
        if (samePolicy(current, next)) return { result: next, events: [] };
        const updatedAt = new Date().toISOString();
        // Set on the card now at this index: the policy follows it if the GPUs are numbered anew.
        const stored = { gpu_index: gpuIndex, gpu_uuid: this.inventory.uuidOf(gpuIndex), ...next };
        await this.policies.save(tx, stored, updatedAt);
        // In memory before commit: the event is published right after it, and the dispatcher reacting
        // to it must already place with the new policy.
        previous = this.inventory.applyPolicy(gpuIndex, next);
        return {
          result: next,
          events: [new GpuPolicyChangedEvent({ ...stored, updated_at: updatedAt })],
        };
      });
    } catch (error) {
      if (previous) this.inventory.restorePolicies(previous);
      throw error;
    }
  }
}

/** The HTTP DTO checks the same; this guards every other caller of the command. */
function validate(changes: Partial<GpuPolicy>): void {
  const details: ErrorDetail[] = [];
  if (changes.disabled === undefined && changes.min_priority === undefined) {
    const message = 'give disabled and/or min_priority';
    details.push({ field: 'disabled', message }, { field: 'min_priority', message });
  }
  if (changes.disabled !== undefined && typeof changes.disabled !== 'boolean') {
    details.push({ field: 'disabled', message: 'disabled must be a boolean value' });
  }
  const priority = changes.min_priority;
  if (
    priority !== undefined &&
    priority !== null &&
    (!Number.isInteger(priority) || Math.abs(priority) > MAX_PRIORITY)
  ) {
    details.push({
      field: 'min_priority',
      message: `min_priority must be null (no gate) or an integer between -${MAX_PRIORITY} and ${MAX_PRIORITY}`,
    });
  }
  if (details.length > 0) {
    throw validationFailed(details);
  }
}
