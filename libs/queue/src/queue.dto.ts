import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
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
import { MAX_KILL_GRACE_S, MAX_TIME_LIMIT_SECONDS, Label, PriorityProperty } from '@trainyard/core';
import { JobDependencyDto, JobDto } from '@trainyard/jobs';
import { PATH_KINDS, type PathKind } from './job-types/job-type';

/** A MIG profile name as nvidia-smi prints it: `<compute slices>g.<memory>gb`, optionally `+<attr>` (`1g.10gb+me`). */
export const MIG_PROFILE_PATTERN = '^[1-9][0-9]?g\\.[1-9][0-9]{0,3}gb(\\+[a-z]+)?$';

/** `array` of a submit (checked by the submit handler, which names `array.count`, `array.sweep.lr`, ...). */
export class ArraySpecDto {
  /** Copies of each sweep point (or of the job, without a sweep); count × the sweep's points ≤ 10,000. Omitted or null: 1. */
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 10_000, required: false, nullable: true })
  count?: number | null;
  /**
   * Parameter → values; the array is their cartesian product (the first parameter varies slowest).
   * `{param}` in any string of job_params is replaced by the value (and `{index}` by the array index);
   * a parameter of the job type with that name is set to it. A parameter's values are distinct: one
   * listed twice (`"lr": [0.1, 0.1]`) is a 400 naming `array.sweep.lr` and the value (`count` repeats).
   */
  @ApiPropertyOptional({
    type: 'object',
    nullable: true,
    additionalProperties: {
      type: 'array',
      items: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
    },
  })
  sweep?: Record<string, Array<string | number | boolean>> | null;
  /** At most this many of the array's jobs run at once (omitted or null: no cap). */
  @ApiProperty({ type: 'integer', minimum: 1, required: false, nullable: true })
  max_running?: number | null;
}

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
  @PriorityProperty({ required: false, default: 0 })
  @IsOptional()
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
   * (omitted or null: the server's --kill-grace, 10 s).
   */
  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_KILL_GRACE_S, required: false, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_KILL_GRACE_S, { message: `kill_grace_s must be at most ${MAX_KILL_GRACE_S} (seconds: one hour)` })
  kill_grace_s?: number | null;

  /**
   * Jobs that must reach a state before this one may start (at most 100 entries). An array id
   * (`a_…`) stands for every job of the array, each with the entry's condition (stored and answered
   * as those jobs; at most 1,000 in all). Unknown ids → 400 naming `depends_on[i].queue_id`; when a
   * condition can no longer come true the job ends `aborted` with termination_reason `dependency_failed`.
   */
  @ApiProperty({ type: [JobDependencyDto], required: false })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  depends_on?: Array<{ queue_id: string; condition?: string }>;

  /**
   * Submit an array of jobs in one go (all or nothing): `count` copies, or a `sweep`'s cartesian
   * product, with at most `max_running` running at once. The answer is the job with index 0; every
   * job carries `array_id` (GET /api/arrays/{array_id}).
   */
  @ApiProperty({ type: ArraySpecDto, required: false })
  @IsOptional()
  @IsObject()
  array?: ArraySpecDto;

  /**
   * Run-time cap in seconds, counted from its start: at the limit the job is asked to stop (its
   * trainer's save-stop when it listens, else SIGTERM), SIGKILL follows after the grace period, and it
   * ends `aborted` with termination_reason `time_limit`. Omitted: the job type's default, else the
   * server's --default-time-limit (none by default); null: no limit. The backfill scheduler lets a job
   * with a limit use GPUs held for a bigger one when it surely ends before that one can start.
   */
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: MAX_TIME_LIMIT_SECONDS,
    required: false,
    nullable: true,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TIME_LIMIT_SECONDS, {
    message: `time_limit_s must be at most ${MAX_TIME_LIMIT_SECONDS} (seconds: ${MAX_TIME_LIMIT_SECONDS / 86_400} days)`,
  })
  time_limit_s?: number | null;

  /**
   * Cap on this job's log file, in bytes: 0 (no cap) or at least 4096. Beyond it the oldest output
   * is dropped, behind a marker line, and the newest kept (omitted or null: the server's --log-cap, 1 GiB).
   */
  @ApiProperty({ type: 'integer', minimum: 0, required: false, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  log_cap_bytes?: number | null;

  /**
   * May be preempted (default false): when a higher-priority job cannot start otherwise, this job is
   * asked to checkpoint (its trainer's save-stop, else the server's --preempt-signal), SIGKILLed after
   * its grace period, and queued again; its next attempt sees TRAINYARD_RESTART_COUNT.
   */
  @IsOptional()
  @IsBoolean()
  preemptible?: boolean;

  /**
   * Queued held (default false), as Slurm's `sbatch --hold`: it is never started until released
   * (POST /api/queue/{id}/release); for an array, every job of it. Journaled as job.queued.v1 then
   * job.held.v1, in one commit.
   */
  @IsOptional()
  @IsBoolean()
  held?: boolean;

  /**
   * A MIG profile, e.g. `1g.10gb`: the job gets `requested_gpus` MIG devices of that profile (their
   * UUIDs in CUDA_VISIBLE_DEVICES), never whole GPUs; it must be a profile of this host's MIG devices
   * (GET /api/gpus). Omitted: whole GPUs (a GPU in MIG mode is never one of them).
   */
  @ApiProperty({ required: false, example: '1g.10gb', pattern: MIG_PROFILE_PATTERN })
  @IsOptional()
  @IsString()
  @Matches(new RegExp(MIG_PROFILE_PATTERN), {
    message: 'gpu_profile must be a MIG profile like 1g.10gb (or 1g.10gb+me)',
  })
  gpu_profile?: string;

  /** Optional label shown in lists. */
  @IsOptional()
  @Label(200, { required: false })
  name?: string;
}

export class QueueItemDto extends JobDto {
  /** Why the item is still waiting (null once launched, or before the first scheduling pass). */
  @ApiProperty({ type: String, nullable: true, required: true })
  declare pending_reason: string | null;
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
  /** A `path`'s kind, where it is one only: forms browse for a file or a directory. Absent: either. */
  @ApiPropertyOptional({ enum: PATH_KINDS })
  path_kind?: PathKind;
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

/** PATCH /api/queue/{queue_id}: a queued job's new priority. */
export class ChangeQueuePriorityRequestDto {
  /** Higher runs first; the same bounds as at submit. Its place among equal priorities and its age stay. */
  @PriorityProperty({
    description:
      'Higher runs first (the bounds of submit). Its place among equal priorities and its age stay.',
  })
  @IsDefined()
  priority!: number;
}
