import { type Client, listRunsUpTo } from '@trainyard/sdk';
import { CliError, EXIT } from './errors';
import { onlyOne } from './job-id';

/** A whole Trainyard run id, as the server makes them (`r_<ms>_<12 hex>`). */
export const RUN_ID = /^r_\d{13}_[0-9a-f]{12}$/;
/** The longest text `GET /api/runs/page?q=` searches for; a longer one is taken as a whole id. */
const MAX_SEARCH = 200;

/**
 * The run id a user means: a whole id as is; else the one run id the text is, starts or ends (its
 * hex suffix, say), found with `GET /api/runs/page?q=` (which searches names, projects and ids). A
 * goodseed id (`gs_…`) is found the same way. No match: CliError with exit 5; several: exit 2,
 * naming them.
 */
export async function resolveRunId(client: Client, given: string): Promise<string> {
  if (given.trim() === '') throw new CliError('a run id cannot be empty', EXIT.invalid);
  if (RUN_ID.test(given) || given.length > MAX_SEARCH) return given;
  const { items } = await listRunsUpTo(client, { q: given }, Infinity);
  const ids = items.map((run) => run.run_id);
  if (ids.includes(given)) return given;
  const matches = ids.filter((id) => id.startsWith(given) || id.endsWith(given));
  if (!matches.length) throw new CliError(`no run id starts or ends with "${given}"`, EXIT.notFound);
  return onlyOne(given, matches, 'runs');
}

/** How commands describe their run id argument. */
export const RUN_ID_HELP = 'run id, or a unique prefix or suffix of one (e.g. its last hex digits)';
