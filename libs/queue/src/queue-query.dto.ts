import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

export class ListQueueQueryDto {
  /** Opaque cursor from next_cursor. */
  @IsOptional()
  @Matches(/^\d{1,9}$/)
  cursor?: string;

  /** Page size, 1..1000 (default 500). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class CancelQueueItemResponseDto {
  queue_id!: string;
  /** `removed` (it was queued) or `aborting` (it was running; it ends as `aborted`). */
  outcome!: string;
}
