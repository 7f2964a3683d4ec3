// Shapes served as JSON by the API (hence snake_case). Every telemetry field is nullable because
// nvidia-smi reports many of them as `[N/A]`/`[Not Supported]` depending on the card and driver;
// absent must stay distinguishable from 0.

export interface GpuTelemetry {
  index: number;
  uuid: string | null;
  name: string | null;
  pci_bus_id: string | null;
  driver_version: string | null;
  utilization_gpu: number | null;
  utilization_memory: number | null;
  memory_total_mib: number | null;
  memory_used_mib: number | null;
  memory_free_mib: number | null;
  temperature_c: number | null;
  power_draw_w: number | null;
  power_limit_w: number | null;
  clocks_sm_mhz: number | null;
  pstate: string | null;
  fan_speed_percent: number | null;
  mig_mode: string | null;
  ecc_errors_uncorrected: number | null;
}

export interface GpuProcess {
  gpu_index: number;
  pid: number;
  process_name: string | null;
  used_memory_mib: number | null;
  /**
   * The job of this server's it belongs to, when the provider read that itself (the fake provider
   * sees only this server's jobs' processes, in the same look at their environment); absent: the
   * inventory reads it. A short-lived process is gone before a second look, and is no one's then.
   */
  job_id?: string;
}

/**
 * One MIG device (GPU instance) of a GPU in MIG mode, as `nvidia-smi -L` lists it. CUDA takes its
 * `uuid` in CUDA_VISIBLE_DEVICES (`MIG-<uuid>`, or `MIG-GPU-<uuid>/<gi>/<ci>` on older drivers).
 */
export interface MigDevice {
  /** The GPU it is carved from. */
  gpu_index: number;
  /** Its index among that GPU's MIG devices (`Device N`). */
  device_index: number;
  /** The MIG profile, e.g. `1g.10gb`. */
  profile: string;
  uuid: string;
  /** Memory in GB as the profile names it (`1g.10gb` → 10), or null when the name does not say. */
  memory_gb: number | null;
}

export const GPU_PROVIDER_STATES = [
  'ok',
  'no_devices',
  'no_driver',
  'binary_missing',
  'timeout',
  'error',
] as const;
export type GpuProviderState = (typeof GPU_PROVIDER_STATES)[number];

export const GPU_PROVIDER_KINDS = ['nvidia-smi', 'fake'] as const;
export type GpuProviderKind = (typeof GPU_PROVIDER_KINDS)[number];

export interface GpuSnapshot {
  state: GpuProviderState;
  message: string | null;
  gpus: GpuTelemetry[];
  processes: GpuProcess[];
  /** MIG devices of the GPUs in MIG mode (absent or empty: none). */
  mig_devices?: MigDevice[];
  /** ISO 8601 UTC. */
  collected_at: string;
}

export interface GpuProvider {
  readonly kind: GpuProviderKind;
  /** Never rejects: failures are reported through `state` and `message`. */
  snapshot(): Promise<GpuSnapshot>;
}
