import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { CanonicalInt, Label, PageQueryDto, QueryBool } from '@trainyard/core';
import { MAX_PATH_LENGTH, RUN_STATUSES, type RunStatus } from './log-batch';
import { RUN_SOURCES, type RunSource } from './run-list';
import { CONFIG_TYPE_TAGS } from './run-values';

/** A float in JSON: a number, or "NaN" / "Infinity" / "-Infinity". */
const JSON_NUMBER = {
  oneOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }],
};

export class CreateRunRequestDto {
  /** Display name. */
  @IsOptional()
  @Label(200, { required: false })
  name?: string;

  /** Project, goodseed style (`workspace/project`). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  project?: string;
}

export class RunIdParamDto {
  /** A run id: `r_<ms>_<hex>` for Trainyard's runs, `gs_<base64url>` for goodseed files. */
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,512}$/, { message: 'run_id must be 1-512 letters, digits, _ or -' })
  run_id!: string;
}

export class RunDto {
  run_id!: string;
  name!: string | null;
  project!: string | null;
  /** The job this run belongs to (null for clients' and goodseed runs). */
  job_id!: string | null;
  /** running | finished | failed | aborted (goodseed files may say other things, e.g. unknown). */
  status!: string;
  @ApiProperty({ enum: RUN_SOURCES })
  source!: RunSource;
  /** ISO 8601. */
  created_at!: string | null;
  /** ISO 8601. */
  updated_at!: string | null;
  /**
   * Whether anything was logged to it: a metric, a string or a config (the server's hardware series,
   * `sys/…`, aside). A job's run exists from its launch, logged or not.
   */
  logged!: boolean;
}

export class RunConfigDto {
  path!: string;
  @ApiProperty({ enum: CONFIG_TYPE_TAGS })
  type_tag!: string;
  /** bool → boolean, int → number, float → number or "NaN"/"Infinity"/"-Infinity", str/datetime → string, null → null, string_set → string[]. */
  @ApiProperty({
    oneOf: [
      { type: 'boolean' },
      { type: 'number' },
      { type: 'string' },
      { type: 'array', items: { type: 'string' } },
    ],
    nullable: true,
  })
  value!: unknown;
}

export class RunDetailDto extends RunDto {
  configs!: RunConfigDto[];
}

export class ListRunsQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(200)
  project?: string;

  /** Only the run of this job. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  job?: string;

  @IsOptional()
  @IsIn(RUN_STATUSES)
  @ApiProperty({ enum: RUN_STATUSES, required: false })
  status?: RunStatus;

  /**
   * Only runs something was logged to (`true`: metrics, strings or configs — the server's hardware
   * series aside; every job gets a run, and most plain commands log nothing), or only the others.
   */
  @IsOptional()
  @QueryBool()
  logged?: boolean;
}

/**
 * `GET /api/runs/page`: `GET /api/runs`'s filters, a text search and the source, a page at a time
 * (default 100 runs).
 */
export class ListRunsPageQueryDto extends PageQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(200)
  project?: string;

  /** Only the run of this job. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  job?: string;

  @IsOptional()
  @IsIn(RUN_STATUSES)
  @ApiProperty({ enum: RUN_STATUSES, required: false })
  status?: RunStatus;

  /** Only runs whose name, project or id contains this text (case-insensitive). */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  /** Only Trainyard's runs, or only goodseed's files. */
  @IsOptional()
  @IsIn(RUN_SOURCES)
  @ApiProperty({ enum: RUN_SOURCES, required: false })
  source?: RunSource;

  /**
   * Only runs something was logged to (`true`: metrics, strings or configs — the server's hardware
   * series aside; every job gets a run, and most plain commands log nothing), or only the others.
   */
  @IsOptional()
  @QueryBool()
  logged?: boolean;
}

export class RunPageDto {
  /** Trainyard's runs newest first, then goodseed's newest first. */
  items!: RunDto[];
  /** How many runs match the filters in all. */
  total!: number;
  /** Pass as `cursor` to get the next page; null at the end. */
  @ApiProperty({ type: String, nullable: true })
  next_cursor!: string | null;
}

export class MetricPointDto {
  @MaxLength(MAX_PATH_LENGTH)
  path!: string;
  /** Finite number within ±(2^53 − 1); logging the same path and step again overwrites. Not under `sys/` (the server's). */
  step!: number;
  @ApiProperty(JSON_NUMBER)
  value!: number | string;
}

export class StringPointDto {
  @MaxLength(MAX_PATH_LENGTH)
  path!: string;
  step!: number;
  value!: string;
}

/**
 * A log batch: at most 10,000 points (metrics + strings; more → 413) and 1 MiB. Config values are
 * JSON values (tag inferred) or `{type_tag, value}` with a goodseed type tag; a nested object
 * becomes `a/b` paths (`{"model": {"layers": 4}}` → `model/layers`), at most 16 levels deep.
 */
export class LogRunRequestDto {
  metrics?: MetricPointDto[];
  strings?: StringPointDto[];
  @ApiPropertyOptional({ type: 'object', additionalProperties: {} })
  configs?: Record<string, unknown>;
  @ApiProperty({ enum: RUN_STATUSES, required: false })
  status?: RunStatus;
}

export class LogRunResponseDto {
  /** Metric points written. */
  metrics!: number;
  strings!: number;
  configs!: number;
}

export class MetricPathsDto {
  paths!: string[];
}

export class MetricsQueryDto {
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_PATH_LENGTH)
  path!: string;

  /** Most points wanted (default 1000); more points are bucketed (see README). */
  @IsOptional()
  @CanonicalInt()
  @Min(1)
  @Max(100_000)
  point_count?: number;

  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  step_min?: number;

  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  step_max?: number;
}

export class SeriesPointDto {
  step!: number;
  /**
   * Raw value, or a bucket's mean of its finite values; a bucket with none has the mean of its
   * NaN/±Infinity values ("Infinity" when all are, "NaN" for any NaN or both infinities).
   */
  @ApiProperty(JSON_NUMBER)
  y!: number | string;
  /** Buckets only: smallest finite y (with none: the smallest of its NaN/±Infinity values, "NaN" for any NaN). */
  @ApiProperty({ ...JSON_NUMBER, required: false })
  min_y?: number | string;
  /** Buckets only: largest finite y (with none: the largest of its NaN/±Infinity values, "NaN" for any NaN). */
  @ApiProperty({ ...JSON_NUMBER, required: false })
  max_y?: number | string;
  /** Buckets only, when any: how many of its values were NaN or ±Infinity (left out of y, min_y, max_y while any is finite). */
  @ApiProperty({ type: 'integer', required: false })
  nonfinite?: number;
}

export class MetricSeriesDto {
  path!: string;
  /** True when points are buckets (with min_y/max_y) between the first and last raw points. */
  downsampled!: boolean;
  points!: SeriesPointDto[];
}

export class StringsQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PATH_LENGTH)
  path?: string;

  @IsOptional()
  @CanonicalInt()
  @Min(1)
  @Max(100_000)
  limit?: number;

  @IsOptional()
  @CanonicalInt()
  @Min(0)
  @Max(1e12)
  offset?: number;

  /** The last N points (wins over limit/offset). */
  @IsOptional()
  @CanonicalInt()
  @Min(1)
  @Max(100_000)
  tail?: number;
}

export class StringPointOutDto {
  path!: string;
  step!: number;
  value!: string;
}

export class StringSeriesDto {
  points!: StringPointOutDto[];
  /** Every matching point, before limit/offset/tail. */
  total!: number;
}
