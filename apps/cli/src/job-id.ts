import { type Client, listJobs } from '@trainyard/sdk';
import { CliError, EXIT } from './errors';

/** A whole queue id, as the server makes them (`q_<ms>_<8 hex>`). */
export const QUEUE_ID = /^q_\d{13}_[0-9a-f]{8}$/;
/** An array id (`a_<ms>_<8 hex>`), always given whole. */
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
  const matches = new Set<string>();
  // The search also matches names, commands and errors: keep only ids the fragment starts or ends.
  let cursor: string | undefined;
  do {
    const { data } = await listJobs({ client, query: { q: given, limit: 1000, ...(cursor && { cursor }) } });
    for (const job of data.items) {
      if (job.queue_id.startsWith(given) || job.queue_id.endsWith(given)) matches.add(job.queue_id);
    }
    cursor = data.next_cursor ?? undefined;
  } while (cursor);
  if (matches.size === 1) return [...matches][0];
  if (matches.size === 0) throw new CliError(`no job id starts or ends with "${given}"`, EXIT.notFound);
  const listed = [...matches].slice(0, LISTED).join(', ');
  throw new CliError(
    `"${given}" matches ${matches.size} jobs (${listed}${matches.size > LISTED ? ', …' : ''}); give more of the id`,
    EXIT.invalid,
  );
}

/** How commands describe their job id argument. */
export const ID_HELP =
  'queue id, or a unique prefix or suffix of one (e.g. the 8 hex digits the console shows)';
