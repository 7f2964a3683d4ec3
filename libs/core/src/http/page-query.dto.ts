import { IsOptional, Matches, Max, Min } from 'class-validator';
import { CanonicalInt } from './canonical-int';

/** `?cursor=&limit=` for the paged lists (`{items, total, next_cursor}`). */
export class PageQueryDto {
  /** Opaque cursor from a previous page's next_cursor. */
  @IsOptional()
  @Matches(/^(0|[1-9]\d{0,8})$/, { message: 'cursor must be a value from next_cursor' })
  cursor?: string;

  /** Page size, 1..1000. */
  @IsOptional()
  @CanonicalInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
