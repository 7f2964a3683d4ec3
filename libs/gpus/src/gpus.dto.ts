import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import {
  GPU_PROVIDER_KINDS,
  GPU_PROVIDER_STATES,
  type GpuProviderKind,
  type GpuProviderState,
} from './gpu.types';
import { CanonicalInt } from '@trainyard/core';
import { MIN_PRIORITY_LIMIT } from './gpu-policy';

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
  /** Current MIG mode (`Enabled`/`Disabled`). */
  mig_mode!: string | null;
  /** Uncorrected ECC errors since the driver loaded. */
  ecc_errors_uncorrected!: number | null;
  /** Compute processes on this GPU (ours and foreign ones). */
  processes!: GpuProcessDto[];
  /** Hidden from scheduling by the server's CUDA_VISIBLE_DEVICES at start. */
  excluded!: boolean;
  /** Turned off for new jobs by an operator (policy). */
  disabled!: boolean;
  /** Only queue items with at least this priority are placed here (policy). */
  @ApiProperty({ type: 'integer' })
  min_priority!: number;
  /** queue_id of the starting/running job holding this GPU, or null. */
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
  /** Only queue items with at least this priority may be placed on the GPU. */
  @ApiProperty({ type: 'integer' })
  min_priority!: number;
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

  // Spelled out: the swagger plugin skips a property whose validator takes a non-literal argument.
  @ApiProperty({
    type: 'integer',
    required: false,
    minimum: -MIN_PRIORITY_LIMIT,
    maximum: MIN_PRIORITY_LIMIT,
    description:
      'Only queue items with at least this priority may use the GPU (0 = everyone; may be negative).',
  })
  @IsOptional()
  @IsInt()
  @Min(-MIN_PRIORITY_LIMIT)
  @Max(MIN_PRIORITY_LIMIT)
  min_priority?: number;
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
}
