import { type Command, Option } from 'commander';
import {
  type BundleRankDto,
  escapeControls,
  getArray,
  getClusterJob,
  getJob,
  getNodeJob,
  TrainyardApiError,
  TrainyardConnectionError,
} from '@trainyard/sdk';
import { type CliContext, serverAway } from '../context';
import { CliError, EXIT, serverStoppedError } from '../errors';
import { ARRAY_ID, QUEUE_ID, resolveJobOrArrayId } from '../job-id';
import { BUNDLE_ID, nodeLabel, rankStatusText, resolveBundleId } from './cluster.command';
import { type EndedAs, exitCodeFor } from './job.command';
import type { CommandRunner } from './runner';

const TERMINAL = new Set(['done', 'failed', 'aborted']);
/** A cluster job's rank that has ended (`not_queued`: never queued, its submit rolled back). */
const RANK_ENDED = new Set(['done', 'failed', 'cancelled', 'not_queued']);

/**
 * One job's end as `wait` sees it: `cancelled` when it was seen queued and then removed from the
 * queue before it ran. (One the server does not have when `wait` begins is the CLI's own failure,
 * as a short id that matches nothing is: not found, 5, on stderr — a job cancelled from the queue
 * before then leaves no record to tell it from a mistyped id.)
 */
export interface JobEnd extends EndedAs {
  /** Null for a cluster job's rank that was never queued. */
  queue_id: string | null;
  ended_at: string | null;
  /** A cluster job's rank: its node and rank. */
  node_id?: string;
  hostname?: string;
  node_rank?: number;
}

/** A target's state: null while any of its jobs is unfinished, else every job's end. */
type TargetState = JobEnd[] | null;

/**
 * The note `wait` prints (once) when a target it waits for is held: it would wait for ever unless
 * someone releases it. `held`: the held jobs (of an array: those of its jobs that are).
 */
export function heldNote(target: string, held: readonly string[]): string {
  const some = held.length > 1;
  const which = ARRAY_ID.test(target)
    ? `${held.length} of ${target}'s jobs ${some ? 'are' : 'is'} held (${held.slice(0, 3).join(', ')}${held.length > 3 ? ', …' : ''})`
    : `${target} is held`;
  return (
    `trainyard: ${which}: ${some ? 'they' : 'it'} will not start until released ` +
    `(\`trainyard sched release ${target}\`); still waiting…\n`
  );
}

/**
 * What `wait` exits with once its targets ended: 0 when every job succeeded, else the exit code of
 * the failure that ended first (as `job tail` would: its exit code, 1 without one, 5 when cancelled).
 */
export function waitExitCode(ends: readonly JobEnd[]): number {
  const failures = ends
    .filter((e) => e.status !== 'done')
    .sort((a, b) => (a.ended_at ?? '').localeCompare(b.ended_at ?? ''));
  return failures.length ? exitCodeFor(failures[0]) : EXIT.ok;
}

/**
 * What `wait` tells on stderr about a cluster job's ranks whose nodes do not answer (their ends are
 * unknown until they do): once when a rank's node stops answering, once when it answers again.
 * `away`: the node ranks noted away, per target (updated). Returns the notes to print, one per line.
 */
export function awayNotes(
  target: string,
  ranks: readonly Pick<BundleRankDto, 'node_rank' | 'node_id' | 'hostname' | 'status'>[],
  away: Map<string, Set<number>>,
): string {
  const noted = away.get(target) ?? new Set<number>();
  away.set(target, noted);
  let notes = '';
  for (const rank of ranks) {
    const node = `node ${escapeControls(nodeLabel(rank))} of ${target} rank ${rank.node_rank}`;
    if (rank.status === 'unknown' && !noted.has(rank.node_rank)) {
      noted.add(rank.node_rank);
      notes += `trainyard: ${node} does not answer: that rank's end is unknown until it does; still waiting…\n`;
    } else if (rank.status !== 'unknown' && noted.delete(rank.node_rank))
      notes += `trainyard: ${node} answers again; still waiting…\n`;
  }
  return notes;
}

/** What `wait` is told as it reads a target: its held jobs (while unfinished), a cluster job's ranks. */
interface WhileWaiting {
  held: (ids: string[]) => void;
  ranks: (ranks: BundleRankDto[]) => void;
}

async function readTarget(
  ctx: CliContext,
  id: string,
  seen: Set<string>,
  { held, ranks }: WhileWaiting,
): Promise<TargetState> {
  try {
    if (BUNDLE_ID.test(id)) return await readBundle(ctx, id, ranks);
    if (ARRAY_ID.test(id)) {
      const { data } = await getArray({ client: ctx.client, path: { array_id: id } });
      if (data.jobs.some((j) => !TERMINAL.has(j.status))) {
        held(data.jobs.filter((j) => j.held).map((j) => j.queue_id));
        return null;
      }
      return data.jobs.map(toEnd);
    }
    const { data } = await getJob({ client: ctx.client, path: { queue_id: id } });
    seen.add(id);
    if (TERMINAL.has(data.status)) return [toEnd(data)];
    held(data.held ? [id] : []);
    return null;
  } catch (err) {
    if (err instanceof TrainyardApiError && err.status === 404 && BUNDLE_ID.test(id))
      throw new CliError(`no cluster job ${id} (trainyard cluster jobs lists them)`, EXIT.notFound);
    if (err instanceof TrainyardApiError && err.status === 404 && QUEUE_ID.test(id)) {
      // A queued job that is cancelled is removed: it ended without running.
      if (seen.has(id))
        return [{ queue_id: id, status: 'cancelled', exit_code: null, ended_at: new Date().toISOString() }];
      throw new CliError(
        `no job ${id} (unknown id, or cancelled from the queue before it ran)`,
        EXIT.notFound,
      );
    }
    throw err;
  }
}

/**
 * A cluster job (bundle): unfinished while its submit is under way or any rank has not ended (one
 * whose node does not answer is `unknown`: not ended), then each rank's end, its job's as its node
 * has it. A rolled-back submit has ended (a failure): its ranks never ran, or were cancelled.
 */
async function readBundle(
  ctx: CliContext,
  id: string,
  seenRanks: (ranks: BundleRankDto[]) => void,
): Promise<TargetState> {
  const { data } = await getClusterJob({ client: ctx.client, path: { id } });
  const ended =
    data.state === 'failed' ||
    (data.state === 'submitted' && data.ranks.every((r) => RANK_ENDED.has(r.status)));
  seenRanks(data.ranks);
  if (!ended) return null;
  // A node that does not answer now is not waited for here: its rank ends with the bundle's status.
  const client = ctx.clientWith({ answerAtOnce: ['NODE_UNREACHABLE'] });
  return Promise.all(
    data.ranks.map(async (rank: BundleRankDto): Promise<JobEnd> => {
      const { node_id, hostname, node_rank, queue_id } = rank;
      const job = queue_id
        ? await getNodeJob({ client, path: { node_id, queue_id } }).then(
            ({ data: j }) => j,
            () => null, // gone from its node's queue (cancelled before it ran), or its node away
          )
        : null;
      const end = job ? toEnd(job) : { queue_id, status: rank.status, exit_code: null, ended_at: null };
      return { ...end, node_id, hostname, node_rank };
    }),
  );
}

/**
 * The job, array or cluster job `given` names: a whole id or a unique part of one. A part no job or
 * array id has may be a cluster job's (the 8 hex digits `cluster jobs` shows); jobs and arrays first.
 */
async function resolveTarget(ctx: CliContext, given: string): Promise<string> {
  const id = given.trim();
  if (id.startsWith('cj_')) return resolveBundleId(ctx.client, id);
  try {
    return (await resolveJobOrArrayId(ctx.client, given)).id;
  } catch (err) {
    if (!(err instanceof CliError) || err.exitCode !== EXIT.notFound || /^[qa]_/.test(id)) throw err;
    // Not a cluster job's either (or standalone: none): what was asked first answers.
    return resolveBundleId(ctx.client, id).catch(() => Promise.reject(err));
  }
}

function toEnd(job: JobEnd): JobEnd {
  const { queue_id, status, exit_code, ended_at, termination_reason, started_at, restart_count } = job;
  return { queue_id, status, exit_code, ended_at, termination_reason, started_at, restart_count };
}

export function registerWait(program: Command, run: CommandRunner): void {
  program
    .command('wait')
    .summary('block until jobs, arrays or cluster jobs end')
    .description(
      'Wait until every given job (q_…), array (a_…) and cluster job (cj_…: every rank) has ended, polling ' +
        'the server. Exits 0 when all succeeded, else with the exit code of the first failure to end (1 when ' +
        'it has none, 5 when it was cancelled from the queue). ' +
        'With --any, returns as soon as one target has ended, with its code. ' +
        'A held job (or array with held jobs) is noted once on stderr: it starts only once released; so is ' +
        "a cluster job's rank whose node does not answer (and again when it does).",
    )
    .argument(
      '<ids...>',
      'queue ids (q_…, or a unique prefix or suffix of one), array ids (a_…) and cluster job ids (cj_…, or a unique prefix or suffix of one)',
    )
    .option('--any', 'return when the first target ends')
    .addOption(new Option('--interval <seconds>', 'seconds between polls').default('0.5', '0.5'))
    .action(
      run(async (ctx, given: string[], options: { any?: boolean; interval: string }) => {
        // A job id may be short, as everywhere else (the 8 hex digits the console shows).
        // Each target once: one named twice (or by its id and a short form) is one target to wait for.
        const unique = new Set<string>();
        for (const id of given) unique.add(await resolveTarget(ctx, id));
        const ids = [...unique];
        const interval = Number(options.interval);
        if (!Number.isFinite(interval) || interval <= 0)
          throw new CliError(
            `--interval must be a positive number of seconds, got "${options.interval}"`,
            EXIT.invalid,
          );
        const ended = new Map<string, JobEnd[]>();
        const seen = new Set<string>();
        // Targets whose hold was noted: each once, however long it stays held.
        const heldNoted = new Set<string>();
        // Cluster jobs' ranks whose nodes were noted not answering (each once while it does not).
        const awayNoted = new Map<string, Set<number>>();
        let lostSince: number | null = null; // when the server stopped answering; null while it answers
        let reached = false; // a server that never answered is not restarting: fail at once
        for (;;) {
          for (const id of ids) {
            if (ended.has(id)) continue;
            let state: TargetState;
            const asked = Date.now();
            try {
              state = await readTarget(ctx, id, seen, {
                held: (held) => {
                  if (!held.length || heldNoted.has(id)) return;
                  heldNoted.add(id);
                  process.stderr.write(heldNote(id, held));
                },
                ranks: (ranks) => process.stderr.write(awayNotes(id, ranks, awayNoted)),
              });
              lostSince = null;
              reached = true;
            } catch (err) {
              // A restart takes the API away for a few seconds: keep waiting through it, as tail does,
              // for as long as a request would (the request itself may have waited already).
              if (!(err instanceof TrainyardConnectionError) || !reached) throw err;
              const first = lostSince === null;
              lostSince ??= asked;
              const away = await serverAway(ctx.connection, lostSince);
              if (!away)
                throw serverStoppedError(
                  ctx.connection.baseUrl,
                  ids.length === 1 ? `${ids[0]} goes on running` : 'its jobs go on running',
                  'trainyard wait',
                );
              if (first)
                process.stderr.write(
                  `trainyard: the server went away (restarting?); still waiting up to ${away.waitMs / 1000} s…\n`,
                );
              break;
            }
            if (state) ended.set(id, state);
            if (state && options.any) {
              // The same shape as without --any (a list of targets): a script's `.[0]` reads both.
              ctx.output([{ target: id, jobs: state }], () => describe(id, state));
              return waitExitCode(state);
            }
          }
          if (ended.size === ids.length) break;
          await new Promise((resolve) => setTimeout(resolve, interval * 1000));
        }
        const all = ids.flatMap((id) => ended.get(id)!);
        ctx.output(
          ids.map((id) => ({ target: id, jobs: ended.get(id)! })),
          () => ids.map((id) => describe(id, ended.get(id)!)).join('\n'),
        );
        return waitExitCode(all);
      }),
    );
}

/**
 * "q_… done" / "q_… failed (exit 3)" / "a_… 7/9 done; failed: q_… (exit 3), …" /
 * "cj_… 1/2 ranks done; not done: rank 1 on gpu-box (1234abcd): q_… failed (exit 3)".
 */
function describe(id: string, ends: readonly JobEnd[]): string {
  const one = (e: JobEnd) =>
    e.queue_id === null
      ? rankStatusText(e.status)
      : `${e.queue_id} ${e.status}${e.exit_code === null || e.status === 'done' ? '' : ` (exit ${e.exit_code})`}`;
  if (BUNDLE_ID.test(id)) {
    const bad = ends.filter((e) => e.status !== 'done');
    const rank = (e: JobEnd) =>
      `rank ${e.node_rank} on ${nodeLabel({ hostname: e.hostname!, node_id: e.node_id! })}: ${one(e)}`;
    const done = `${id} ${ends.length - bad.length}/${ends.length} ranks done`;
    return escapeControls(bad.length ? `${done}; not done: ${bad.map(rank).join(', ')}` : done);
  }
  if (!ARRAY_ID.test(id)) return escapeControls(one(ends[0]));
  const bad = ends.filter((e) => e.status !== 'done');
  const done = `${id} ${ends.length - bad.length}/${ends.length} done`;
  return escapeControls(
    bad.length
      ? `${done}; not done: ${bad.slice(0, 5).map(one).join(', ')}${bad.length > 5 ? ', …' : ''}`
      : done,
  );
}
