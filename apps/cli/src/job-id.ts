import {
  ARRAY_ID,
  type Client,
  getArray,
  getJob,
  lookUpId,
  QUEUE_ID,
  TrainyardApiError,
} from '@trainyard/sdk';
import { CliError, EXIT } from './errors';

export { ARRAY_ID, QUEUE_ID };
/** Most candidates listed in an "ambiguous" message. */
const LISTED = 5;

/**
 * The queue id a user means: a whole id as is, or a part of one the console shows (the 8-hex
 * suffix) or any other unique prefix or suffix of an id (the SDK's `lookUpId`).
 * No match: CliError with exit 5; several: exit 2, naming them.
 */
export async function resolveJobId(client: Client, given: string): Promise<string> {
  if (given.trim() === '') throw new CliError('a job id cannot be empty', EXIT.invalid);
  // An array's id (as `submit --array` prints it) where one job is meant: say what takes it.
  if (ARRAY_ID.test(given.trim()))
    throw new CliError(
      `${given.trim()} is an array, not a job: \`trainyard wait\`, \`sched cancel\`, \`sched retry\`, ` +
        `\`sched hold\` and \`sched release\` take it; its jobs are listed by \`trainyard sched list\` ` +
        `(the API: GET /api/arrays/${given.trim()})`,
      EXIT.invalid,
    );
  refuseClusterJobId(given, 'a job');
  const { ids } = await lookUpId(client, given, { arrays: false });
  if (ids.length === 0) throw new CliError(`no job id starts or ends with "${given}"`, EXIT.notFound);
  return onlyOne(given, ids, 'jobs');
}

/**
 * A multi-node job's id (`cj_…`, or the start of one) where `what` is meant: says what takes it
 * (exit 2), not "no such job". Job and array ids never start so.
 */
function refuseClusterJobId(given: string, what: string): void {
  const id = given.trim();
  if (!id.startsWith('cj_')) return;
  throw new CliError(
    `${id} is a multi-node job, not ${what}: \`trainyard cluster jobs\`, \`cluster tail\`, \`cluster cancel\` ` +
      `and \`trainyard wait\` take it; \`trainyard cluster jobs ${id}\` lists its ranks' job ids`,
    EXIT.invalid,
  );
}

/** What {@link resolveJobOrArrayId} found: a job's queue id, or an array's id. */
export type JobOrArray = { kind: 'job'; id: string } | { kind: 'array'; id: string };

/**
 * The job or array a user means: a whole queue or array id as is; else a unique prefix or suffix
 * of a queue id (as {@link resolveJobId}) or, when none matches, of an array id. No match: CliError
 * with exit 5; several: exit 2, naming them.
 */
export async function resolveJobOrArrayId(client: Client, given: string): Promise<JobOrArray> {
  if (given.trim() === '') throw new CliError('an id cannot be empty', EXIT.invalid);
  refuseClusterJobId(given, 'a job or an array');
  const { kind, ids } = await lookUpId(client, given, { arrays: true });
  if (ids.length === 0)
    throw new CliError(`no job or array id starts or ends with "${given}"`, EXIT.notFound);
  return { kind, id: onlyOne(given, ids, kind === 'job' ? 'jobs' : 'arrays') };
}

/**
 * As {@link resolveJobOrArrayId}, and a whole id is looked up too (a part of one only matches ids
 * that exist): for ids the server takes in a request body, where an unknown one is a 400 (exit 2),
 * not a 404. No such job or array: CliError with exit 5 naming the id and `flag`.
 */
export async function resolveExistingJobOrArrayId(
  client: Client,
  given: string,
  flag: string,
): Promise<JobOrArray> {
  const found = await resolveJobOrArrayId(client, given);
  if (found.id !== given) return found;
  try {
    if (found.kind === 'array') await getArray({ client, path: { array_id: found.id } });
    else await getJob({ client, path: { queue_id: found.id } });
  } catch (err) {
    if (err instanceof TrainyardApiError && err.status === 404)
      throw new CliError(`no ${found.kind} ${found.id} (${flag})`, EXIT.notFound);
    throw err;
  }
  return found;
}

/** The one match, or exit 2 naming a few of them and saying what to do (`hint`); `matches` is not empty. */
export function onlyOne(
  given: string,
  matches: readonly string[],
  what: string,
  hint = 'give more of the id',
): string {
  if (matches.length === 1) return matches[0];
  const listed = matches.slice(0, LISTED).join(', ');
  throw new CliError(
    `"${given}" matches ${matches.length} ${what} (${listed}${matches.length > LISTED ? ', …' : ''}); ${hint}`,
    EXIT.invalid,
  );
}

/** How commands describe their job id argument. */
export const ID_HELP =
  'queue id, or a unique prefix or suffix of one (e.g. the 8 hex digits the console shows)';
