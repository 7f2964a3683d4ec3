import type { Client } from './generated/client';
import { listJobs } from './generated';
import type { JobDto, ListJobsData } from './generated/types.gen';

/** The most one list request may ask for (`limit` is 1..1000). */
export const LIST_PAGE_MAX = 1000;

/** A list read up to a count: the jobs, how many match in all, and whether the list goes on. */
export interface JobsUpTo {
  items: JobDto[];
  total: number;
  more: boolean;
}

/**
 * The first `count` jobs of `GET /api/jobs` with `query` (filters and sort; `Infinity`: all of them),
 * following `next_cursor` page by page in requests of at most 1,000. Each page starts after the last
 * job of the one before, so jobs submitted or removed meanwhile shift nothing. Request failures are
 * thrown. The one place the CLI and the console read more than a page.
 */
export async function listJobsUpTo(
  client: Client,
  query: Omit<NonNullable<ListJobsData['query']>, 'limit' | 'cursor'>,
  count: number,
): Promise<JobsUpTo> {
  const items: JobDto[] = [];
  let total = 0;
  let cursor: string | undefined;
  do {
    const limit = Math.min(count - items.length, LIST_PAGE_MAX);
    const { data } = await listJobs({
      client,
      throwOnError: true,
      query: { ...query, limit, ...(cursor && { cursor }) },
    });
    items.push(...data.items);
    total = data.total;
    cursor = data.next_cursor ?? undefined;
  } while (cursor && items.length < count);
  return { items, total, more: cursor !== undefined };
}
