import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches, Max, Min } from 'class-validator';
import { CanonicalInt, QUEUE_ID_PATTERN } from '@trainyard/core';

export class ListJournalQueryDto {
  /** Return entries with seq greater than this (a cursor from next_cursor). */
  @IsOptional()
  @CanonicalInt()
  @Min(0)
  after_seq?: number;

  /** Return entries with seq less than this (with order=desc, a cursor from next_cursor). */
  @IsOptional()
  @CanonicalInt()
  @Min(1)
  before_seq?: number;

  /** Only entries of this area: the type's first part (`job`, `gpu`, `scheduler`, `auth`). */
  @IsOptional()
  @Matches(/^[a-z][a-z_]*$/, {
    message: 'area must be an entry type area such as job, gpu, scheduler or auth',
  })
  area?: string;

  /** Only entries about this job: its `queue_id`, or listed in `queue_ids` (deletes, GPU kills). */
  @IsOptional()
  @ApiPropertyOptional({ pattern: QUEUE_ID_PATTERN.source })
  @Matches(QUEUE_ID_PATTERN, { message: 'queue_id must look like q_<13 digits>_<8 hex>' })
  queue_id?: string;

  /** `asc` (default): commit order, as replication reads it; `desc`: newest first, as people read it. */
  @IsOptional()
  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc' })
  @IsIn(['asc', 'desc'], { message: 'order must be asc or desc' })
  order?: 'asc' | 'desc';

  /** Page size, 1..1000. */
  @IsOptional()
  @CanonicalInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class JournalEntryDto {
  /** Strictly increasing sequence number. */
  seq!: number;
  /** ISO 8601 time of the commit. */
  ts!: string;
  /** The node that made the change. */
  origin_node_id!: string;
  /** Entry type, `<area>.<event>.v<N>` (e.g. `job.queued.v1`): names the payload schema. */
  type!: string;
  /** Event fields. */
  payload!: Record<string, unknown>;
}

export class JournalPageDto {
  items!: JournalEntryDto[];
  /** Number of entries in the whole journal, or in `area` when one was given. */
  total!: number;
  /** The next page: pass as after_seq (order=asc) or before_seq (order=desc); null at the end. */
  next_cursor!: string | null;
}
