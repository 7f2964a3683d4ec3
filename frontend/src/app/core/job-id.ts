import { ARRAY_ID, type Client, lookUpId, QUEUE_ID } from '@trainyard/sdk';

/** A whole queue id (`q_<ms>_<8 hex>`) or array id (`a_…`), as the server makes them. */
export const WHOLE_JOB_ID = new RegExp(`${QUEUE_ID.source}|${ARRAY_ID.source}`);
/** Most candidates named in an "ambiguous" message. */
const LISTED = 3;

/** What {@link resolveJobOrArrayId} found: the whole id, or why there is none. */
export type ResolvedId = { id: string } | { error: string };

/**
 * The whole queue or array id a user means, found as the CLI finds it (the SDK's `lookUpId`): a
 * whole id as is; else a unique prefix or suffix of a queue id (the 8 hex digits the console shows);
 * else, when no job matches, of an array id. No match or several: an error that says so. Request
 * failures are thrown.
 */
export async function resolveJobOrArrayId(client: Client, given: string): Promise<ResolvedId> {
  const text = given.trim();
  if (text === '') return { error: 'Type a job id.' };
  const { kind, ids } = await lookUpId(client, text, { arrays: true });
  if (ids.length === 1) return { id: ids[0] };
  if (ids.length === 0) return { error: `No job or array id starts or ends with “${text}”.` };
  const listed = ids.slice(0, LISTED).join(', ');
  return {
    error: `“${text}” matches ${ids.length} ${kind === 'job' ? 'jobs' : 'arrays'} (${listed}${ids.length > LISTED ? ', …' : ''}): type more of the id.`,
  };
}
