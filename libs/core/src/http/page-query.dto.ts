import { IsOptional, Matches, Max, Min } from 'class-validator';
import { CanonicalInt } from './canonical-int';

/**
 * What a list's cursor may look like on the wire: opaque, base64url, bounded — with room for the
 * longest sort key one holds (a 200-character job name of 4-byte characters, JSON-escaped).
 */
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,4096}$/;

/** `?cursor=&limit=` for the paged lists (`{items, total, next_cursor}`). */
export class PageQueryDto {
  /** Opaque cursor from a previous page's next_cursor: the next page starts after that page's last item. */
  @IsOptional()
  @Matches(CURSOR_PATTERN, { message: 'cursor must be a value from next_cursor' })
  cursor?: string;

  /** Page size, 1..1000. */
  @IsOptional()
  @CanonicalInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
