import { ApiProperty } from '@nestjs/swagger';
import {
  IsDefined,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { JobDto } from '@trainyard/jobs';

export class SubmitJobRequestDto {
  /** A job type from GET /api/job-types (`command`, `training`, `inference`, ...). */
  @IsString()
  @MaxLength(64)
  job_type!: string;

  /** GPUs to reserve (0 runs without GPUs). Default: the job type's `default_gpus` (0 for `command`). */
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 1024, required: false })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1024)
  requested_gpus?: number;

  /** Higher runs first; a GPU's min_priority gate admits only jobs at or above it. Default 0. */
  // Spelled out: the swagger plugin skips a property whose validator takes a negative literal.
  @ApiProperty({ type: 'integer', minimum: -1_000_000, maximum: 1_000_000, required: false, default: 0 })
  @IsOptional()
  @IsInt()
  @Min(-1_000_000)
  @Max(1_000_000)
  priority?: number;

  /** Type-specific parameters; `command` takes `{argv: [...]}`. */
  @IsDefined()
  @IsObject()
  @ApiProperty({ type: 'object', additionalProperties: true })
  job_params!: Record<string, unknown>;

  /** Working directory (default: the server user's home directory). */
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  @Matches(/^[^\0]*$/, { message: 'cwd must not contain NUL bytes' })
  cwd?: string;

  /** Extra environment variables (string values). */
  @IsOptional()
  @IsObject()
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  env?: Record<string, string>;

  /**
   * Seconds between SIGTERM and SIGKILL when the job is stopped or leaves processes behind
   * (default: the server's --kill-grace, 10 s).
   */
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 3600, required: false })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3600)
  kill_grace_s?: number;

  /**
   * Cap on this job's log file, in bytes: 0 (no cap) or at least 4096. Beyond it the oldest output
   * is dropped, behind a marker line, and the newest kept (default: the server's --log-cap, 1 GiB).
   */
  @ApiProperty({ type: 'integer', minimum: 0, required: false })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  log_cap_bytes?: number;

  /** Optional label shown in lists. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[^\0]*$/, { message: 'name must not contain NUL bytes' })
  name?: string;
}

export class QueueItemDto extends JobDto {
  /** Why the item is still waiting (null once launched, or before the first scheduling pass). */
  pending_reason!: string | null;
}

export class QueuePageDto {
  items!: QueueItemDto[];
  total!: number;
  next_cursor!: string | null;
}

export class JobParamDescriptionDto {
  name!: string;
  /** string, integer, number, boolean, path, string_list, choice or env_map. */
  type!: string;
  required!: boolean;
  default?: unknown;
  choices?: string[];
  description!: string;
  min?: number;
  max?: number;
}

export class JobTypeDto {
  name!: string;
  description!: string;
  params!: JobParamDescriptionDto[];
  /** Suggested GPU count for forms. */
  default_gpus!: number;
  /** The parameter holding a listening port (service types), or null. */
  service_port_param!: string | null;
  /** Whether it may be declared under `services:` (false for types that run to completion, e.g. training). */
  can_be_service!: boolean;
}
