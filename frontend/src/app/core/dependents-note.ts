import {
  type ArrayDto,
  type Client,
  type DependencyTarget,
  type DependentDto,
  type JobStatus,
  type StoppableJob,
  dependentsAbortedBy,
  stoppedTarget,
} from '@trainyard/sdk';
import { isFinished, shortId } from './format';

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
export function abortedDependentsNote(
  api: Client,
  jobs: readonly (StoppableJob & { queue_id: string })[],
): Promise<string> {
  return dependentsNote(
    api,
    jobs.map((j) => ({ queue_id: j.queue_id, target: stoppedTarget(j) })),
    new Set(jobs.map((j) => j.queue_id)),
    jobs.length === 1 ? 'it' : 'them',
  );
}

/**
 * The same sentence for Cancel array (POST /api/arrays/{id}/cancel): the queued jobs outside the
 * array that depend on one of its unfinished jobs, which all end `aborted` (a running one launched,
 * so its `after_start` dependents are met; the array keeps its cancelled queued ones as aborted).
 * Its own jobs are not counted: they are cancelled with it.
 */
export function arrayDependentsNote(api: Client, array: ArrayDto): Promise<string> {
  const stopped = array.jobs.filter((j) => !isFinished(j.status));
  // ArrayJobDto has no pid: a job still `starting` counts as not launched (its after_start
  // dependents are named, the safer side).
  const target = (status: JobStatus): DependencyTarget => ({
    status: 'aborted',
    launched: status === 'running' || status === 'terminating',
  });
  return dependentsNote(
    api,
    stopped.map((j) => ({ queue_id: j.queue_id, target: target(j.status) })),
    new Set(array.jobs.map((j) => j.queue_id)),
    "the array's jobs",
  );
}

async function dependentsNote(
  api: Client,
  stops: readonly { queue_id: string; target: DependencyTarget | null }[],
  skip: ReadonlySet<string>,
  them: string,
): Promise<string> {
  let found: DependentDto[][];
  try {
    found = await Promise.all(stops.map((s) => dependentsAbortedBy(api, s.queue_id, s.target)));
  } catch {
    return '';
  }
  const byId = new Map<string, DependentDto>();
  for (const dep of found.flat()) if (!skip.has(dep.queue_id)) byId.set(dep.queue_id, dep);
  const aborted = [...byId.values()];
  if (!aborted.length) return '';
  const n = aborted.length;
  const named = aborted
    .slice(0, NAMED)
    .map((d) => (d.name ? `${d.name} (${shortId(d.queue_id)})` : d.queue_id))
    .join(', ');
  const more = n > NAMED ? ` and ${n - NAMED} more` : '';
  return `${n} queued job${n === 1 ? ' that depends' : 's that depend'} on ${them} will end aborted (dependency_failed): ${named}${more}.`;
}
