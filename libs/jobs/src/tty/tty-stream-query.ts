import { isCanonicalUint, parseQueryBool } from '@trainyard/core';

/** The query parameters of a job's log stream (`WS …/tty`), local or another node's. */
export const TTY_STREAM_QUERY = ['offset', 'follow'] as const;

/** What a log stream's query asks for: where to resume (null: from the start of what is kept), and whether to follow. */
export interface TtyStreamQuery {
  offset: number | null;
  follow: boolean;
}

/**
 * `?offset=N` (a byte offset to resume at) and `?follow=` (`true`/`1`, the default, or `false`/`0`
 * for the backlog only) of a log stream; a string saying what is wrong when either is malformed
 * (before, `follow=maybe` followed).
 */
export function parseTtyStreamQuery(query: URLSearchParams): TtyStreamQuery | string {
  const offset = query.get('offset');
  if (offset !== null && !isCanonicalUint(offset, 1e15)) return 'offset must be a non-negative integer';
  const followed = query.get('follow');
  const follow = followed === null ? true : parseQueryBool(followed);
  if (follow === undefined) return 'follow must be true, false, 1 or 0';
  return { offset: offset === null ? null : Number(offset), follow };
}
