import { type Client, type JobDto, listJobs } from '@trainyard/sdk';
import { CliError, EXIT } from './errors';

/** A whole queue id, as the server makes them (`q_<ms>_<8 hex>`). */
export const QUEUE_ID = /^q_\d{13}_[0-9a-f]{8}$/;
/** A whole array id (`a_<ms>_<8 hex>`). */
export const ARRAY_ID = /^a_\d{13}_[0-9a-f]{8}$/;
/** Most candidates listed in an "ambiguous" message. */
const LISTED = 5;

/**
 * The queue id a user means: a whole id as is, or a part of one the console shows (the 8-hex
 * suffix) or any other unique prefix or suffix of an id, looked up with `GET /api/jobs?q=`.
 * No match: CliError with exit 5; several: exit 2, naming them.
 */
export async function resolveJobId(client: Client, given: string): Promise<string> {
  if (QUEUE_ID.test(given)) return given;
  if (given.trim() === '') throw new CliError('a job id cannot be empty', EXIT.invalid);
  const matches = await matchingJobIds(client, given);
  if (matches.size === 0) throw new CliError(`no job id starts or ends with "${given}"`, EXIT.notFound);
  return onlyOne(given, matches, 'jobs');
}

/** What {@link resolveJobOrArrayId} found: a job's queue id, or an array's id. */
export type JobOrArray = { kind: 'job'; id: string } | { kind: 'array'; id: string };

/**
 * The job or array a user means: a whole queue or array id as is; else a unique prefix or suffix
 * of a queue id (as {@link resolveJobId}) or, when none matches, of an array id. No match: CliError
 * with exit 5; several: exit 2, naming them.
 */
export async function resolveJobOrArrayId(client: Client, given: string): Promise<JobOrArray> {
  if (ARRAY_ID.test(given)) return { kind: 'array', id: given };
  if (QUEUE_ID.test(given)) return { kind: 'job', id: given };
  if (given.trim() === '') throw new CliError('an id cannot be empty', EXIT.invalid);
  // `a_…` can only be an array, `q_…` only a job; a suffix can be either.
  if (!given.startsWith('a_')) {
    const jobs = await matchingJobIds(client, given);
    if (jobs.size) return { kind: 'job', id: onlyOne(given, jobs, 'jobs') };
  }
  const arrays = given.startsWith('q_') ? new Set<string>() : await matchingArrayIds(client, given);
  if (arrays.size === 0)
    throw new CliError(`no job or array id starts or ends with "${given}"`, EXIT.notFound);
  return { kind: 'array', id: onlyOne(given, arrays, 'arrays') };
}

/** Every queue id `given` starts or ends, from the server's search. */
function matchingJobIds(client: Client, given: string): Promise<Set<string>> {
  return matchingIds(client, given, (job) => job.queue_id);
}

/** Every array id `given` starts or ends, from the server's search. */
function matchingArrayIds(client: Client, given: string): Promise<Set<string>> {
  return matchingIds(client, given, (job) => job.array_id);
}

/**
 * The ids (`idOf` each job found) that `given` starts or ends. The search (`q`) also matches names,
 * commands and errors: only ids the fragment starts or ends are kept.
 */
async function matchingIds(
  client: Client,
  given: string,
  idOf: (job: JobDto) => string | null,
): Promise<Set<string>> {
  const matches = new Set<string>();
  let cursor: string | undefined;
  do {
    const { data } = await listJobs({ client, query: { q: given, limit: 1000, ...(cursor && { cursor }) } });
    for (const job of data.items) {
      const id = idOf(job);
      if (id !== null && (id.startsWith(given) || id.endsWith(given))) matches.add(id);
    }
    cursor = data.next_cursor ?? undefined;
  } while (cursor);
  return matches;
}

/** The one match, or exit 2 naming a few of them; `matches` is not empty. */
function onlyOne(given: string, matches: Set<string>, what: string): string {
  if (matches.size === 1) return [...matches][0];
  const listed = [...matches].slice(0, LISTED).join(', ');
  throw new CliError(
    `"${given}" matches ${matches.size} ${what} (${listed}${matches.size > LISTED ? ', …' : ''}); give more of the id`,
    EXIT.invalid,
  );
}

/** How commands describe their job id argument. */
export const ID_HELP =
  'queue id, or a unique prefix or suffix of one (e.g. the 8 hex digits the console shows)';
