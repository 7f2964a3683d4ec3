import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsBoolean, IsOptional, Max, Min } from 'class-validator';
import {
  GPU_PROVIDER_KINDS,
  GPU_PROVIDER_STATES,
  type GpuProviderKind,
  type GpuProviderState,
} from './gpu.types';
import { CanonicalInt, PriorityProperty } from '@trainyard/core';

export class GpuProcessDto {
  pid!: number;
  /** Executable as nvidia-smi (or /proc) names it; null when unknown. */
  process_name!: string | null;
  /** GPU memory the process holds (MiB); null when not reported. */
  used_memory_mib!: number | null;
  /** The Trainyard job (queue_id) this process belongs to, from its TRAINYARD_JOB_ID; null for foreign or unreadable processes. */
  job_id!: string | null;
}

/** One GPU: telemetry (null = not reported by the driver, never 0), its processes, and scheduling state. */
export class GpuDto {
  /** nvidia-smi index. */
  @ApiProperty({ type: 'integer' })
  index!: number;
  uuid!: string | null;
  /** Product name, e.g. `NVIDIA H100 80GB HBM3`. */
  name!: string | null;
  pci_bus_id!: string | null;
  driver_version!: string | null;
  /** GPU utilization (%). */
  utilization_gpu!: number | null;
  /** Memory controller utilization (%). */
  utilization_memory!: number | null;
  memory_total_mib!: number | null;
  memory_used_mib!: number | null;
  memory_free_mib!: number | null;
  /** Core temperature (°C). */
  temperature_c!: number | null;
  /** Power draw (W). */
  power_draw_w!: number | null;
  /** Power limit (W). */
  power_limit_w!: number | null;
  /** SM clock (MHz). */
  clocks_sm_mhz!: number | null;
  /** Performance state, P0 (max) .. P12 (min). */
  pstate!: string | null;
  /** Fan speed (%); null on passively cooled (datacenter) cards. */
  fan_speed_percent!: number | null;
  /** Current MIG mode as nvidia-smi prints it (`Enabled`/`Disabled`); null when not reported (no MIG support). */
  mig_mode!: string | null;
  /** Uncorrected ECC errors since the driver loaded. */
  ecc_errors_uncorrected!: number | null;
  /** Compute processes on this GPU (ours and foreign ones). */
  processes!: GpuProcessDto[];
  /** Hidden from scheduling by the server's CUDA_VISIBLE_DEVICES at start. */
  excluded!: boolean;
  /** Turned off for new jobs by an operator (policy). */
  disabled!: boolean;
  /** Priority gate (policy): only queue items with at least this priority are placed here; null = no gate. */
  @ApiProperty({ type: 'integer', nullable: true })
  min_priority!: number | null;
  /** queue_id of the starting/running job holding this GPU, or null. */
  reserved_by!: string | null;
  /**
   * MIG mode is enabled: never placed as a whole GPU; its `mig_devices` are placed instead, to jobs
   * submitted with their `gpu_profile`.
   */
  mig_enabled!: boolean;
  /** Its MIG devices (`nvidia-smi -L`), by device index; empty unless MIG mode is enabled. */
  @ApiProperty({ type: () => [MigDeviceDto] })
  mig_devices!: MigDeviceDto[];
  /** What an operator should know about this GPU's placement, as sentences (e.g. MIG enabled); empty when none. */
  warnings!: string[];
}

/** One MIG device (GPU instance) of a GPU in MIG mode. */
export class MigDeviceDto {
  /** Its index among the GPU's MIG devices (`Device N` in `nvidia-smi -L`). */
  @ApiProperty({ type: 'integer' })
  device_index!: number;
  /** The MIG profile, e.g. `1g.10gb` (what `gpu_profile` at submit names). */
  profile!: string;
  /** What the job's CUDA_VISIBLE_DEVICES names it by (`MIG-<uuid>`, or `MIG-GPU-<uuid>/<gi>/<ci>`). */
  uuid!: string;
  /** Memory in GB as the profile names it (`1g.10gb` → 10); null when the name does not say. */
  @ApiProperty({ type: 'integer', nullable: true })
  memory_gb!: number | null;
  /** queue_id of the starting/running job holding it, or null (free). */
  @ApiProperty({ type: String, nullable: true })
  reserved_by!: string | null;
}

export class GpuListDto {
  /** Where the numbers come from: `nvidia-smi`, or `fake` (`--fake-gpus`). */
  @ApiProperty({ enum: GPU_PROVIDER_KINDS, enumName: 'GpuProviderKind' })
  provider!: GpuProviderKind;
  /** Outcome of the latest collection; anything but `ok` comes with no GPUs (`no_devices` is a normal, GPU-less host). */
  @ApiProperty({ enum: GPU_PROVIDER_STATES, enumName: 'GpuProviderState' })
  state!: GpuProviderState;
  /** Why the state is not `ok`, or warnings about the provider's output; null when all is well. */
  message!: string | null;
  /** When the latest snapshot was taken (ISO 8601); refreshed about every 2 s. */
  collected_at!: string;
  /** By index. */
  gpus!: GpuDto[];
}

@ApiSchema({
  description:
    'Text frame of WebSocket /api/gpus/stream: the GET /api/gpus body, tagged. Sent on connect and after every change (telemetry about every 2 s, policy, reservations), coalesced.',
})
export class GpusFrameDto extends GpuListDto {
  @ApiProperty({ enum: ['gpus'] })
  type!: 'gpus';
}

export class GpuPolicyDto {
  /** The scheduler places nothing new on a disabled GPU; running jobs keep running. */
  disabled!: boolean;
  /** Priority gate: only queue items with at least this priority may be placed on the GPU; null = no gate (the default). */
  @ApiProperty({ type: 'integer', nullable: true })
  min_priority!: number | null;
}

/** `?window_s=&step_s=` of GET /api/gpus/history. */
export class GpuHistoryQueryDto {
  /** How far back (s), 60..3600; default 3600 (the whole kept history). */
  @IsOptional()
  @CanonicalInt()
  @Min(60)
  @Max(3600)
  @ApiProperty({ type: 'integer', required: false, minimum: 60, maximum: 3600, default: 3600 })
  window_s?: number;

  /** Bucket size (s), 2..3600: samples in a bucket are averaged; default window_s / 120 (at least 2). */
  @IsOptional()
  @CanonicalInt()
  @Min(2)
  @Max(3600)
  @ApiProperty({ type: 'integer', required: false, minimum: 2, maximum: 3600 })
  step_s?: number;
}

/** One GPU's recent history; `t`, `utilization_gpu` and `memory_used_mib` are parallel arrays, oldest first. */
export class GpuHistoryDto {
  @ApiProperty({ type: 'integer' })
  index!: number;
  /** Latest memory size seen (MiB), to scale `memory_used_mib`; null when not reported. */
  memory_total_mib!: number | null;
  /** Start of each bucket (Unix time, ms); buckets without a sample (server down, failed collection) are left out. */
  @ApiProperty({ type: 'array', items: { type: 'integer' } })
  t!: number[];
  /** Mean GPU utilization over each bucket (%); null where not reported. */
  @ApiProperty({ type: 'array', items: { type: 'number', nullable: true } })
  utilization_gpu!: Array<number | null>;
  /** Mean GPU memory in use over each bucket (MiB); null where not reported. */
  @ApiProperty({ type: 'array', items: { type: 'number', nullable: true } })
  memory_used_mib!: Array<number | null>;
}

export class GpuHistoryListDto {
  /** The window asked for (s). */
  @ApiProperty({ type: 'integer' })
  window_s!: number;
  /** The bucket size used (s). */
  @ApiProperty({ type: 'integer' })
  step_s!: number;
  /** How often the server samples the GPUs (s). */
  sample_interval_s!: number;
  /** By index; GPUs seen since the server started (kept in memory only). */
  gpus!: GpuHistoryDto[];
}

export class GpuIndexParamDto {
  /** The GPU's index (as `GET /api/gpus` lists it). */
  @CanonicalInt()
  @Min(0)
  @ApiProperty({ type: 'integer' })
  index!: number;
}

/** A partial update: fields left out keep their value; at least one must be given. */
export class SetGpuPolicyRequestDto {
  /** True to stop placing new jobs on the GPU. */
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;

  @PriorityProperty({
    required: false,
    nullable: true,
    description:
      'Sets the priority gate: only queue items with at least this priority may use the GPU (may be negative). ' +
      'null clears the gate (every priority is admitted).',
  })
  // IsOptional lets null through: null is "clear the gate", undefined "leave it".
  @IsOptional()
  min_priority?: number | null;
}

export class KillGpuProcessesRequestDto {
  /** Must be true: killing processes cannot be undone. */
  @IsOptional()
  @IsBoolean()
  confirmed?: boolean;

  /** Also kill processes of other users (default false: those are listed in `failed` instead). */
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

export class KillFailureDto {
  pid!: number;
  /** Why it was not killed (protected server process, not permitted, already gone, still alive...). */
  reason!: string;
}

export class KillGpuProcessesResponseDto {
  @ApiProperty({ type: 'integer' })
  gpu_index!: number;
  /** Every process found on the GPU: CUDA_VISIBLE_DEVICES naming it, or listed by nvidia-smi. */
  pids!: number[];
  /** Sent SIGKILL and confirmed gone. */
  killed!: number[];
  /** Not killed, each with the reason. */
  failed!: KillFailureDto[];
  /**
   * Jobs that were on the GPU, stopped through their lifecycle: the request (user_kill) recorded,
   * then every process of each SIGKILLed; each ends `aborted / user_kill`. Their pids are not in
   * `pids`.
   */
  jobs!: string[];
  /**
   * null, or why this kill is not in the journal (e.g. "The state directory … is full: nothing was
   * saved …"): the processes in `killed` were killed regardless — a full disk does not keep an
   * operator from freeing a GPU. (Jobs on the GPU are different: a job's stop must be saved first,
   * so a full disk refuses the whole kill with 507 before any signal.)
   */
  @ApiProperty({ type: String, nullable: true })
  journal_error!: string | null;
}
