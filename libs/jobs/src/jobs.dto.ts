import { Transform } from 'class-transformer';
import { applyDecorators } from '@nestjs/common';
import {
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidationArguments,
} from 'class-validator';
import { PageQueryDto, QUEUE_ID_PATTERN } from '@trainyard/core';
import { ApiProperty } from '@nestjs/swagger';
import { DEPENDENCY_CONDITIONS, DependencyCondition } from './dependencies';
import { JOB_STATUSES, JobStatus, TERMINAL_STATUSES } from './job-lifecycle';

export class QueueIdParamDto {
  /** A queue id, `q_<ms>_<8 hex>`. */
  @Matches(QUEUE_ID_PATTERN, { message: 'queue_id must look like q_<13 digits>_<8 hex>' })
  queue_id!: string;
}

export const JOB_ACTIONS = ['stop', 'save', 'save-stop', 'abort', 'kill', 'force-kill'] as const;

export class JobControlParamDto extends QueueIdParamDto {
  /** stop / save / save-stop go to the trainer; abort and kill send SIGTERM, force-kill SIGKILL. */
  @IsIn(JOB_ACTIONS)
  action!: (typeof JOB_ACTIONS)[number];
}

/**
 * What GET /api/jobs' `status` filter takes: a job status, or `held` — the queued jobs the user holds
 * (a subset of `queued`, which takes them in as Slurm's PD does).
 */
export const JOB_STATUS_FILTERS = [...JOB_STATUSES, 'held'] as const;
export type JobStatusFilter = (typeof JOB_STATUS_FILTERS)[number];

/**
 * The statuses a `status` filter (its values) reads, and whether its queued jobs must be held: `held`
 * alone asks for the held queued jobs; `queued` (with `held` or not) for every queued one.
 */
export function statusFilterOf(values: readonly JobStatusFilter[]): {
  statuses: JobStatus[];
  heldOnly: boolean;
} {
  const statuses = values.filter((v): v is JobStatus => v !== 'held');
  const held = values.includes('held');
  if (held && !statuses.includes('queued')) return { statuses: [...statuses, 'queued'], heldOnly: true };
  return { statuses, heldOnly: false };
}

/** Columns GET /api/jobs can sort by; `runtime` is start to end (or now), unstarted jobs last. */
export const JOB_SORTS = [
  'submitted_at',
  'started_at',
  'ended_at',
  'name',
  'status',
  'job_type',
  'priority',
  'runtime',
] as const;
export type JobSort = (typeof JOB_SORTS)[number];

/**
 * An instant: an ISO 8601 calendar date (midnight UTC) or date-time with its offset (a time without
 * one would mean the server's local time). Strict ISO 8601 validation adds calendar checks (no 02-30).
 */
function IsInstant(): PropertyDecorator {
  const message = ({ property }: ValidationArguments) =>
    `${property} must be an ISO 8601 date or date-time with offset, e.g. 2026-05-01 or 2026-05-01T12:00:00Z`;
  return applyDecorators(
    Matches(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/, { message }),
    IsISO8601({ strict: true, strictSeparator: true }, { message }),
  );
}

/**
 * A list of job statuses from `allowed`: comma-separated (spaces around a comma ignored) or the
 * parameter repeated; the message names the first value not allowed.
 */
function IsStatusList(allowed: readonly string[], note = ''): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      Array.isArray(value) || typeof value === 'string'
        ? String(value)
            .split(',')
            .map((s) => s.trim())
            .join(',')
        : value,
    ),
    IsString(),
    Matches(new RegExp(`^(${allowed.join('|')})(,(${allowed.join('|')}))*$`), {
      message: ({ value }: ValidationArguments) =>
        `status must be a comma-separated list of ${allowed.join(', ')}${note}; got ${JSON.stringify(
          String(value)
            .split(',')
            .find((s) => !allowed.includes(s)) ?? value,
        )}`,
    }),
  );
}

/**
 * Default page size 100. Without `sort`, unfinished jobs come first, then finished ones, each newest
 * first. Every filter narrows the list and `total`.
 */
export class ListJobsQueryDto extends PageQueryDto {
  /**
   * Only these statuses: comma-separated (`running,failed`; spaces around a comma are ignored) or the
   * parameter repeated. `held`: the queued jobs the user holds (`queued` includes them).
   */
  @IsOptional()
  @IsStatusList(JOB_STATUS_FILTERS)
  status?: string;

  /** Only this job type. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  job_type?: string;

  /**
   * Free-text search, case-insensitive (ASCII): every whitespace-separated word (or "quoted phrase") must occur in the
   * job's name, queue id, array id, parameters (the command) or error. `%` and `_` match themselves.
   */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  /** Only jobs submitted at or after this instant (ISO 8601; a date alone is midnight UTC). */
  @IsOptional()
  @IsInstant()
  submitted_after?: string;

  /** Only jobs submitted before this instant (ISO 8601; a date alone is midnight UTC). */
  @IsOptional()
  @IsInstant()
  submitted_before?: string;

  /** Only the jobs of this array (`a_<ms>_<8 hex>`). */
  @IsOptional()
  @Matches(/^a_\d{13}_[0-9a-f]{8}$/, { message: 'array_id must look like a_<13 digits>_<8 hex>' })
  array_id?: string;

  /** Sort by this column instead of the default order; ties newest submitted first. */
  @IsOptional()
  @IsIn(JOB_SORTS, { message: `sort must be one of ${JOB_SORTS.join(', ')}` })
  sort?: JobSort;

  /** With `sort`: asc or desc (default: asc for name, status and job_type, else desc). Empty values last. */
  @IsOptional()
  @IsIn(['asc', 'desc'], { message: 'order must be asc or desc' })
  order?: 'asc' | 'desc';
}

export class DependentDto {
  /** A job that lists this one in its depends_on. */
  queue_id!: string;
  name!: string | null;
  @ApiProperty({ enum: JOB_STATUSES, enumName: 'JobStatus' })
  status!: JobStatus;
  /** Queued and held by the user: it starts only once released (whatever this job does). */
  held!: boolean;
  @ApiProperty({ enum: DEPENDENCY_CONDITIONS, enumName: 'DependencyCondition' })
  condition!: DependencyCondition;
}

export class JobControlResponseDto {
  queue_id!: string;
  action!: string;
  /** Processes signalled (kill actions). */
  pids?: number[];
  /** Processes still alive 2 s after the signal (with `repeated`: still running now). */
  survivors?: number[];
  /**
   * True when the job had been sent this signal already (a second kill of a job that is shutting
   * down): nothing was sent again, since a second SIGTERM would restart a trainer's checkpoint save.
   * `force-kill` is never repeated this way.
   */
  repeated?: boolean;
  /** When SIGKILL follows for whatever is still running (ISO 8601), when one is pending (never after a force-kill). */
  kill_at?: string;
  /** The trainer's answer (trainer actions). */
  trainer_response?: unknown;
  /**
   * abort only: why the trainer did not take it (it could not be reached or did not answer in
   * time); the job was signalled instead (SIGTERM, as without a trainer).
   */
  trainer_error?: string;
}

/** Which finished jobs `POST /api/jobs/cleanup` removes; without a filter, every finished job. */
export class CleanupJobsQueryDto {
  /** Only jobs that ended before this instant (ISO 8601; a date alone is midnight UTC): retention. */
  @IsOptional()
  @IsInstant()
  ended_before?: string;

  /** Only these finished statuses: comma-separated (`failed,aborted`) or the parameter repeated. */
  @IsOptional()
  @IsStatusList(TERMINAL_STATUSES, ' (finished jobs only)')
  status?: string;
}

export class DeletedJobsDto {
  /** Removed job ids (their logs are removed too). */
  deleted!: string[];
  /** Finished jobs a cleanup kept because queued jobs still depend on them (empty for a single delete). */
  kept!: string[];
}

export class GcResultDto {
  /** Removed orphan log files. */
  removed!: string[];
  /** Log files kept: those of existing jobs, plus `kept_orphans`. */
  kept!: number;
  /** Of `kept`, orphan files not removed yet because they are newer than 7 days. */
  kept_orphans!: number;
}
