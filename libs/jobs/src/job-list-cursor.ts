import {
  decodeListCursor as decode,
  encodeListCursor as encode,
  invalidListCursor as invalid,
} from '@trainyard/core';
import { ISO_INSTANT, JobListCursor, JobListSort, QueueCursor } from './infrastructure/job.repository';
import { JOB_SORTS } from './jobs.dto';

/**
 * The `cursor` / `next_cursor` strings of `GET /api/jobs` and `GET /api/queue`: the sort key of the
 * last item of the previous page (keyset paging), as base64url JSON. Opaque to clients; decoding
 * checks every field, since a client can send anything.
 */

const SEQ_MAX = Number.MAX_SAFE_INTEGER;

/** Sorts whose key is a number (submit order is the seq; runtime in ms); the others' is text. */
const NUMERIC_SORTS = new Set<unknown>(['submitted_at', 'priority', 'runtime']);

const isSeq = (v: unknown): v is number =>
  Number.isSafeInteger(v) && (v as number) > 0 && (v as number) <= SEQ_MAX;

export function encodeJobListCursor(cursor: JobListCursor): string {
  return cursor.kind === 'default'
    ? encode(['d', cursor.finished ? 1 : 0, cursor.seq])
    : encode(['s', cursor.by, cursor.order, cursor.value, cursor.seq, cursor.now]);
}

/**
 * The cursor a `GET /api/jobs` request sent, checked against the order that request asks for (a
 * cursor from another sort would start the page at a meaningless place). Throws VALIDATION_FAILED
 * naming `cursor`.
 */
export function decodeJobListCursor(
  cursor: string,
  sort: { by: JobListSort; order: 'asc' | 'desc' } | undefined,
): JobListCursor {
  const v = decode(cursor);
  if (!v) return invalid();
  if (v[0] === 'd' && v.length === 3 && (v[1] === 0 || v[1] === 1) && isSeq(v[2])) {
    if (sort)
      return invalid('cursor is from the default order; this request is sorted (start again without cursor)');
    return { kind: 'default', finished: v[1] === 1, seq: v[2] };
  }
  const [kind, by, order, value, seq, now] = v;
  if (
    kind === 's' &&
    v.length === 6 &&
    (JOB_SORTS as readonly unknown[]).includes(by) &&
    (order === 'asc' || order === 'desc') &&
    (value === null || (NUMERIC_SORTS.has(by) ? Number.isFinite(value) : typeof value === 'string')) &&
    isSeq(seq) &&
    typeof now === 'string' &&
    ISO_INSTANT.test(now)
  ) {
    if (!sort || sort.by !== by || sort.order !== order)
      return invalid('cursor is from another sort order (start again without cursor)');
    return { kind: 'sorted', by: by as JobListSort, order, value: value as string | number | null, seq, now };
  }
  return invalid();
}

export function encodeQueueCursor(cursor: QueueCursor): string {
  return encode(['q', cursor.priority, cursor.seq]);
}

/** The cursor a `GET /api/queue` request sent; throws VALIDATION_FAILED naming `cursor`. */
export function decodeQueueCursor(cursor: string): QueueCursor {
  const v = decode(cursor);
  if (v && v[0] === 'q' && v.length === 3 && Number.isSafeInteger(v[1]) && isSeq(v[2]))
    return { priority: v[1] as number, seq: v[2] };
  return invalid();
}
