import type { Client } from './generated/client';
import { listClusterJobs, listJobs, listQueue, listRunsPage } from './generated';
import type {
  BundleDto,
  JobDto,
  ListJobsData,
  ListRunsPageData,
  QueueItemDto,
  RunDto,
} from './generated/types.gen';

/** The most one list request may ask for (`limit` is 1..1000). */
export const LIST_PAGE_MAX = 1000;

/** A list read up to a count: the items, how many match in all, and whether the list goes on. */
export interface ListUpTo<T> {
  items: T[];
  total: number;
  more: boolean;
}
export type JobsUpTo = ListUpTo<JobDto>;

/** One page of a cursor-paged list (`GET /api/jobs`, `GET /api/queue`, `GET /api/runs/page`, `GET /api/cluster/jobs`). */
type PageReader<T> = (
  limit: number,
  cursor: string | undefined,
) => Promise<{ items: T[]; total: number; next_cursor?: string | null }>;

/**
 * The first `count` items of a cursor-paged list (`Infinity`: all of them), following `next_cursor`
 * page by page in requests of at most 1,000. Each page starts after the last item of the one
 * before, so items added or removed meanwhile shift nothing. Request failures are thrown.
 */
async function readUpTo<T>(page: PageReader<T>, count: number): Promise<ListUpTo<T>> {
  const items: T[] = [];
  let total = 0;
  let cursor: string | undefined;
  do {
    const data = await page(Math.min(count - items.length, LIST_PAGE_MAX), cursor);
    items.push(...data.items);
    total = data.total;
    cursor = data.next_cursor ?? undefined;
  } while (cursor && items.length < count);
  return { items, total, more: cursor !== undefined };
}

/**
 * The first `count` jobs of `GET /api/jobs` with `query` (filters and sort), read as
 * {@link readUpTo} does. The one place the CLI and the console read more than a page of jobs.
 */
export function listJobsUpTo(
  client: Client,
  query: Omit<NonNullable<ListJobsData['query']>, 'limit' | 'cursor'>,
  count: number,
): Promise<JobsUpTo> {
  return readUpTo(
    async (limit, cursor) =>
      (await listJobs({ client, throwOnError: true, query: { ...query, limit, ...(cursor && { cursor }) } }))
        .data,
    count,
  );
}

/** The first `count` items of `GET /api/queue` in queue order, read as {@link readUpTo} does. */
export function listQueueUpTo(client: Client, count: number): Promise<ListUpTo<QueueItemDto>> {
  return readUpTo(
    async (limit, cursor) =>
      (await listQueue({ client, throwOnError: true, query: { limit, ...(cursor && { cursor }) } })).data,
    count,
  );
}

/**
 * The first `count` runs of `GET /api/runs/page` with `query` (filters and `q`), in the server's
 * order (Trainyard's newest first, then goodseed's), read as {@link readUpTo} does.
 */
export function listRunsUpTo(
  client: Client,
  query: Omit<NonNullable<ListRunsPageData['query']>, 'limit' | 'cursor'>,
  count: number,
): Promise<ListUpTo<RunDto>> {
  return readUpTo(
    async (limit, cursor) =>
      (
        await listRunsPage({
          client,
          throwOnError: true,
          query: { ...query, limit, ...(cursor && { cursor }) },
        })
      ).data,
    count,
  );
}

/** The first `count` multi-node bundles of `GET /api/cluster/jobs`, newest first, read as {@link readUpTo} does. */
export function listClusterJobsUpTo(client: Client, count: number): Promise<ListUpTo<BundleDto>> {
  return readUpTo(
    async (limit, cursor) =>
      (await listClusterJobs({ client, throwOnError: true, query: { limit, ...(cursor && { cursor }) } }))
        .data,
    count,
  );
}
