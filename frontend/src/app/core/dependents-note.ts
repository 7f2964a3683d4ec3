import {
  type Client,
  type DependentDto,
  type StoppableJob,
  dependentsAbortedBy,
  stoppedTarget,
} from '@trainyard/sdk';
import { shortId } from './format';

/** How many aborted dependents a confirmation names before "and N more". */
const NAMED = 3;

/**
 * The sentence a kill or cancel confirmation adds about the queued jobs it will abort
 * (`aborted / dependency_failed`: their condition can then never be met, see dependentsAbortedBy),
 * naming the first three by name and short id: "2 queued jobs that depend on it will end aborted
 * (dependency_failed): eval (ab12cd34), report (ef56ab78)." '' when none — or when the server
 * could not say (the confirmation still asks; it only lacks this line). Jobs among `jobs` themselves
 * are not counted.
 */
export async function abortedDependentsNote(
  api: Client,
  jobs: readonly (StoppableJob & { queue_id: string })[],
): Promise<string> {
  let found: DependentDto[][];
  try {
    found = await Promise.all(jobs.map((j) => dependentsAbortedBy(api, j.queue_id, stoppedTarget(j))));
  } catch {
    return '';
  }
  const stopped = new Set(jobs.map((j) => j.queue_id));
  const byId = new Map<string, DependentDto>();
  for (const dep of found.flat()) if (!stopped.has(dep.queue_id)) byId.set(dep.queue_id, dep);
  const aborted = [...byId.values()];
  if (!aborted.length) return '';
  const n = aborted.length;
  const named = aborted
    .slice(0, NAMED)
    .map((d) => (d.name ? `${d.name} (${shortId(d.queue_id)})` : d.queue_id))
    .join(', ');
  const more = n > NAMED ? ` and ${n - NAMED} more` : '';
  const them = jobs.length === 1 ? 'it' : 'them';
  return `${n} queued job${n === 1 ? ' that depends' : 's that depend'} on ${them} will end aborted (dependency_failed): ${named}${more}.`;
}
