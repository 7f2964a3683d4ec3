import { Command } from '@nestjs/cqrs';
import type { GpuPolicy } from '../gpu-policy';

/** Changes one GPU's policy; fields left undefined keep their value (`min_priority: null` clears the gate). Answers the whole new policy. */
export class SetGpuPolicyCommand extends Command<GpuPolicy> {
  constructor(
    readonly gpuIndex: number,
    readonly changes: Partial<GpuPolicy>,
  ) {
    super();
  }
}
