import { IsOptional, Max, Min } from 'class-validator';
import { CanonicalInt } from '@trainyard/core';

export class ListJournalQueryDto {
  /** Return entries with seq greater than this (a cursor from next_cursor). */
  @IsOptional()
  @CanonicalInt()
  @Min(0)
  after_seq?: number;

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
  /** Number of entries in the whole journal. */
  total!: number;
  /** Pass as after_seq for the next page; null at the end. */
  next_cursor!: string | null;
}
