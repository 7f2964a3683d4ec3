import type { KillGpuProcessesResponseDto } from './generated/types.gen';

/**
 * What `POST /api/gpus/{index}/kill` did, in words: a line per job stopped through its lifecycle
 * (its processes are not in `pids`), then the other processes killed and the ones not killed, and
 * whether the kill could not be journaled (`partial` then).
 * `jobLabel` names a job (the console: its name and short id; the CLI: its id). The one wording the
 * CLI and the console share.
 */
export function describeGpuKill(
  index: number,
  result: KillGpuProcessesResponseDto,
  jobLabel: (queueId: string) => string = (id) => id,
): { lines: string[]; outcome: 'nothing' | 'done' | 'partial' } {
  const jobs = result.jobs ?? [];
  if (!result.pids.length && !jobs.length)
    return { lines: [`GPU ${index}: no processes`], outcome: 'nothing' };
  const lines = jobs.map(
    (id) => `GPU ${index}: job ${jobLabel(id)} force-killed (it ends aborted, user_kill)`,
  );
  if (result.pids.length)
    lines.push(`GPU ${index}: killed ${result.killed.length} of ${result.pids.length} other process(es)`);
  for (const failure of result.failed) lines.push(`  ${failure.pid}: ${failure.reason}`);
  if (result.journal_error)
    lines.push(`GPU ${index}: this kill is not in the journal: ${result.journal_error}`);
  return { lines, outcome: result.failed.length || result.journal_error ? 'partial' : 'done' };
}
