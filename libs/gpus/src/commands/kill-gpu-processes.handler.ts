import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DomainError, isProcessAlive, isStorageRefusal } from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { GpuInventory } from '../gpu-inventory';
import { GpuJobStops } from '../gpu-job-stops';
import { SERVER_IDENTITY } from '../gpu-provider.factory';
import { GpuProcessesKilledEvent } from '../gpus.events';
import {
  holdsNvidiaDevice,
  ownJobIdOf,
  pidsUsingGpu,
  processOwner,
  type ServerIdentity,
} from '../process-env';
import { type KillCandidate, killProcesses } from '../process-killer';
import { gpuNotFound } from './gpu-not-found';
import { KillGpuProcessesCommand, KillGpuProcessesResult } from './kill-gpu-processes.command';

const UNVERIFIED =
  'listed by the GPU provider but holds no /dev/nvidia* device here (another PID namespace?); not killed';

@CommandHandler(KillGpuProcessesCommand)
export class KillGpuProcessesHandler implements ICommandHandler<
  KillGpuProcessesCommand,
  KillGpuProcessesResult
> {
  private readonly logger = new Logger(KillGpuProcessesHandler.name);

  constructor(
    private readonly inventory: GpuInventory,
    private readonly journal: Journal,
    @Inject(SERVER_IDENTITY) private readonly identity: ServerIdentity,
    private readonly jobStops: GpuJobStops,
  ) {}

  async execute({ gpuIndex, confirmed, force }: KillGpuProcessesCommand): Promise<KillGpuProcessesResult> {
    await this.inventory.ready();
    const gpu = this.inventory.gpu(gpuIndex);
    if (!gpu) throw gpuNotFound(gpuIndex, this.inventory);

    const candidates = this.candidates(gpuIndex, gpu.uuid, force);
    if (!confirmed) {
      const pids = [...new Set(candidates.map((c) => c.pid))].sort((a, b) => a - b);
      throw new DomainError(
        'CONFIRMATION_REQUIRED',
        `Killing the processes on GPU ${gpuIndex} (${pids.length ? `pids ${pids.join(', ')}` : 'none found now'}) ` +
          'cannot be undone: send {"confirmed": true}',
        { gpu_index: gpuIndex, pids },
      );
    }

    // Our jobs' processes are stopped as the jobs they are (the request recorded, then the whole
    // job SIGKILLed), so each ends aborted/user_kill instead of looking like a crash; the rest directly.
    const jobOf = new Map(candidates.map((c) => [c.pid, ownJobIdOf(c.pid, this.identity)] as const));
    const stopped = await this.jobStops.stop(gpuIndex, [
      ...new Set([...jobOf.values()].filter((id): id is string => id !== null)),
    ]);
    const outcome = await killProcesses(candidates.filter((c) => !stopped.includes(jobOf.get(c.pid) ?? '')));
    // So the next read no longer lists what was just killed.
    await this.inventory.refresh();
    const result = { gpu_index: gpuIndex, ...outcome, jobs: stopped };
    try {
      return await this.journal.record(async () => ({
        result: { ...result, journal_error: null },
        events: [
          new GpuProcessesKilledEvent(gpuIndex, outcome.pids, outcome.killed, outcome.failed, stopped),
        ],
      }));
    } catch (err) {
      // The processes are gone whatever the disk says (a full disk must not keep an operator from
      // freeing a GPU): the answer says what was killed, and that the journal has no entry for it.
      if (!isStorageRefusal(err)) throw err;
      this.logger.error(
        `GPU ${gpuIndex} kill (pids ${outcome.killed.join(', ') || 'none'}) not journaled: ${err.message}`,
      );
      return { ...result, journal_error: err.message };
    }
  }

  /**
   * Processes whose CUDA_VISIBLE_DEVICES names the GPU, plus the provider's compute processes on it.
   * A real GPU is the host's: whatever names it uses it, whoever started it. A fake GPU is this
   * server's, not another Trainyard server's on the same host (its fake GPU 0 is another GPU), so
   * that server's jobs are left out. A provider pid is only trusted when it holds an NVIDIA
   * device here: nvidia-smi in a container can report pids of another namespace, which name
   * unrelated processes in ours. Another user's process is spared unless `force` (its environment,
   * job id included, proves nothing).
   */
  private candidates(gpuIndex: number, uuid: string | null, force: boolean): KillCandidate[] {
    const foreign = (pid: number): string | null => {
      const uid = processOwner(pid);
      return force || uid === null || uid === this.identity.uid
        ? null
        : `belongs to uid ${uid}, not the server's user; not killed without force`;
    };
    const scope = this.inventory.providerKind === 'fake' ? { exceptOtherServersOf: this.identity } : {};
    const byEnv = pidsUsingGpu(gpuIndex, { uuid, ...scope });
    const fromEnv = new Set(byEnv);
    // The provider's list is up to one collection old: a pid that has exited since is off the GPU
    // already, neither a candidate nor a failure (a job's short-lived child, or a finished step).
    const byProvider = this.inventory
      .current()
      .processes.filter((p) => p.gpu_index === gpuIndex && !fromEnv.has(p.pid) && isProcessAlive(p.pid))
      .map((p) => p.pid);
    return [
      ...byEnv.map((pid) => ({ pid, refuse: foreign(pid) })),
      ...[...new Set(byProvider)].map((pid) => ({
        pid,
        refuse: holdsNvidiaDevice(pid) === true ? foreign(pid) : UNVERIFIED,
      })),
    ];
  }
}
