import { CURSOR_PATTERN } from './page-query.dto';
import { validationFailed } from '../domain-error';

/**
 * The `cursor` / `next_cursor` strings of the paged lists: the sort key of the last item of the
 * previous page (keyset paging), as base64url JSON of an array. Opaque to clients; each list checks
 * every field of what `decodeListCursor` gives back, since a client can send anything.
 */
export function encodeListCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The array a cursor encodes, or null when it is not exactly one of ours. */
export function decodeListCursor(cursor: string): unknown[] | null {
  if (!CURSOR_PATTERN.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  // Node decodes leniently (stray characters are dropped): only the exact encoding is ours.
  if (Buffer.from(text).toString('base64url') !== cursor) return null;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** Throws VALIDATION_FAILED naming `cursor` (400). */
export function invalidListCursor(reason = 'cursor must be a value from next_cursor'): never {
  throw validationFailed([{ field: 'cursor', message: reason }]);
}
