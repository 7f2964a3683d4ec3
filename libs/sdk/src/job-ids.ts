import type { Client } from './generated/client';
import { listJobsUpTo } from './job-pages';
import type { JobDto } from './generated/types.gen';

/** A whole queue id, as the server makes them (`q_<ms>_<8 hex>`). */
export const QUEUE_ID = /^q_\d{13}_[0-9a-f]{8}$/;
/** A whole array id (`a_<ms>_<8 hex>`). */
export const ARRAY_ID = /^a_\d{13}_[0-9a-f]{8}$/;

/**
 * What a part of an id a user typed stands for: whole ids as given; else every queue id it starts or
 * ends (the console shows the 8-hex suffix) or, with `arrays` and when no queue id matches, every
 * array id. `ids`: none (no match), one (found) or several (ambiguous: the caller says so).
 */
export interface IdLookup {
  kind: 'job' | 'array';
  ids: string[];
}

/**
 * Looks `given` up with `GET /api/jobs?q=` (which searches queue and array ids, among names,
 * commands and errors), page by page; `given` must not be blank. Request failures are thrown. The
 * one place the CLI and the console turn a short id into a whole one.
 */
export async function lookUpId(
  client: Client,
  given: string,
  options: { arrays: boolean },
): Promise<IdLookup> {
  if (QUEUE_ID.test(given)) return { kind: 'job', ids: [given] };
  if (options.arrays && ARRAY_ID.test(given)) return { kind: 'array', ids: [given] };
  // `a_…` can only be an array, `q_…` only a job; a suffix can be either.
  const jobs =
    options.arrays && given.startsWith('a_') ? [] : await matchingIds(client, given, (job) => job.queue_id);
  if (jobs.length || !options.arrays || given.startsWith('q_')) return { kind: 'job', ids: jobs };
  return { kind: 'array', ids: await matchingIds(client, given, (job) => job.array_id) };
}

/** The ids (`idOf` each job found) that `given` starts or ends: the search also matches other text. */
async function matchingIds(
  client: Client,
  given: string,
  idOf: (job: JobDto) => string | null,
): Promise<string[]> {
  const matches = new Set<string>();
  const { items } = await listJobsUpTo(client, { q: given }, Infinity);
  for (const job of items) {
    const id = idOf(job);
    if (id !== null && (id.startsWith(given) || id.endsWith(given))) matches.add(id);
  }
  return [...matches];
}
