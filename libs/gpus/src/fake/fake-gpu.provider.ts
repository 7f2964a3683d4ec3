import type { GpuProcess, GpuProvider, GpuSnapshot, GpuTelemetry, MigDevice } from '../gpu.types';
import { profileMemoryGb } from '../nvidia-smi/nvidia-smi-parser';
import { scanCudaVisibleDevices, type ServerIdentity, tokenNamesGpu } from '../process-env';
import { type FakeMigGpu, readProcessCommand } from '@trainyard/core';

export interface FakeGpuProviderOptions {
  /** How many GPUs to pretend; 0 is a valid (GPU-less) configuration. */
  count: number;
  /** Whose jobs it sees: only processes of this server's jobs are "GPU processes". */
  identity: ServerIdentity;
  /** GPUs to report in MIG mode, with their MIG devices' profiles (`--fake-mig`). */
  mig?: readonly FakeMigGpu[];
}

const MEMORY_TOTAL_MIB = 81920;
// Idle driver overhead, and what each "process" pretends to hold.
const MEMORY_IDLE_MIB = 4;
const MEMORY_PER_PROCESS_MIB = 8192;
const POWER_LIMIT_W = 700;

/** Deterministic, so a UUID seen in a job's env still names the same fake GPU after a restart. */
export function fakeGpuUuid(index: number): string {
  return `GPU-fake-0000-0000-0000-${String(index).padStart(12, '0')}`;
}

/** Deterministic too: a job's `MIG-…` token still names the same fake MIG device after a restart. */
export function fakeMigUuid(gpuIndex: number, deviceIndex: number): string {
  return `MIG-fake-${String(gpuIndex).padStart(4, '0')}-0000-0000-${String(deviceIndex).padStart(12, '0')}`;
}

/**
 * GPUs for machines without any (development, CI, demos). A GPU's processes are the live processes
 * of this server's jobs (its uid, its node id: not another user's, nor another Trainyard server's on
 * the same host) whose CUDA_VISIBLE_DEVICES names it, so jobs the scheduler launches show up exactly
 * where it placed them; telemetry follows how many there are.
 */
export class FakeGpuProvider implements GpuProvider {
  readonly kind = 'fake' as const;
  private readonly count: number;
  private readonly identity: ServerIdentity;
  private readonly migDevices: MigDevice[];

  constructor(options: FakeGpuProviderOptions) {
    if (!Number.isInteger(options.count) || options.count < 0) {
      throw new RangeError(`FakeGpuProvider: count must be a non-negative integer, got ${options.count}`);
    }
    this.count = options.count;
    this.identity = options.identity;
    for (const { gpu_index } of options.mig ?? []) {
      if (gpu_index >= options.count) {
        throw new RangeError(`FakeGpuProvider: MIG GPU ${gpu_index} is not one of the ${options.count} GPUs`);
      }
    }
    this.migDevices = (options.mig ?? []).flatMap(({ gpu_index, profiles }) =>
      profiles.map((profile, device_index) => ({
        gpu_index,
        device_index,
        profile,
        uuid: fakeMigUuid(gpu_index, device_index),
        memory_gb: profileMemoryGb(profile),
      })),
    );
  }

  snapshot(): Promise<GpuSnapshot> {
    try {
      return Promise.resolve(this.collect());
    } catch (error) {
      // /proc reads already swallow their errors; this is the "never rejects" backstop.
      return Promise.resolve(this.empty('error', `fake GPU snapshot failed: ${String(error)}`));
    }
  }

  private collect(): GpuSnapshot {
    if (this.count === 0) return this.empty('no_devices', 'fake GPU provider configured with 0 GPUs');

    const processes: GpuProcess[] = [];
    // The server's own environment may carry CUDA_VISIBLE_DEVICES (it restricts scheduling); that
    // does not make the server a GPU user.
    const users = scanCudaVisibleDevices({ jobsOf: this.identity }).filter(({ pid }) => pid !== process.pid);
    for (const { pid, tokens, jobId } of users) {
      const indices = new Set<number>();
      for (let index = 0; index < this.count; index++) {
        if (tokens.some((token) => tokenNamesGpu(token, index, fakeGpuUuid(index)))) indices.add(index);
      }
      // A MIG device's process runs on its GPU (as nvidia-smi reports it).
      for (const device of this.migDevices) {
        if (tokens.includes(device.uuid)) indices.add(device.gpu_index);
      }
      if (indices.size === 0) continue;
      const processName = readProcessCommand(pid);
      for (const gpu_index of indices) {
        processes.push({
          gpu_index,
          pid,
          process_name: processName,
          used_memory_mib: MEMORY_PER_PROCESS_MIB,
          job_id: jobId,
        });
      }
    }
    processes.sort((a, b) => a.gpu_index - b.gpu_index || a.pid - b.pid);

    const migGpus = new Set(this.migDevices.map((d) => d.gpu_index));
    const gpus = Array.from({ length: this.count }, (_, index) => ({
      ...fakeTelemetry(index, processes.filter((p) => p.gpu_index === index).length),
      mig_mode: migGpus.has(index) ? 'Enabled' : 'Disabled',
    }));
    return {
      state: 'ok',
      message: null,
      gpus,
      processes,
      mig_devices: this.migDevices.map((d) => ({ ...d })),
      collected_at: new Date().toISOString(),
    };
  }

  private empty(state: GpuSnapshot['state'], message: string): GpuSnapshot {
    return { state, message, gpus: [], processes: [], collected_at: new Date().toISOString() };
  }
}

/** Plausible numbers for an H100-class card running `users` processes. */
function fakeTelemetry(index: number, users: number): GpuTelemetry {
  const busy = users > 0;
  const utilization = busy ? Math.min(100, 70 + 10 * users) : 0;
  const memoryUsed = Math.min(MEMORY_TOTAL_MIB, MEMORY_IDLE_MIB + MEMORY_PER_PROCESS_MIB * users);
  return {
    index,
    uuid: fakeGpuUuid(index),
    name: 'Trainyard Fake GPU',
    pci_bus_id: `00000000:${(0x18 + index * 8).toString(16).toUpperCase().padStart(2, '0')}:00.0`,
    driver_version: 'fake',
    utilization_gpu: utilization,
    utilization_memory: busy ? Math.min(100, 10 + 15 * users) : 0,
    memory_total_mib: MEMORY_TOTAL_MIB,
    memory_used_mib: memoryUsed,
    memory_free_mib: MEMORY_TOTAL_MIB - memoryUsed,
    temperature_c: busy ? Math.min(83, 55 + 6 * users) : 32 + (index % 4),
    // Rounded to 2 decimals like nvidia-smi's reading.
    power_draw_w: Math.round((busy ? 120 + 5.5 * utilization : 68.4 + index * 0.35) * 100) / 100,
    power_limit_w: POWER_LIMIT_W,
    clocks_sm_mhz: busy ? 1980 : 345,
    pstate: busy ? 'P0' : 'P8',
    fan_speed_percent: null,
    mig_mode: 'Disabled',
    ecc_errors_uncorrected: 0,
  };
}
