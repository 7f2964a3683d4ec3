import type { Command } from 'commander';
import {
  cancelArray,
  cancelQueueItem,
  changeQueuePriority,
  cleanupJobs,
  deleteJob,
  gcJobLogs,
  getJob,
  getScheduler,
  holdArray,
  holdQueueItem,
  jobRuntimeSeconds,
  listJobsUpTo,
  releaseArray,
  releaseQueueItem,
  retryArray,
  setScheduler,
  TrainyardApiError,
  type CancelArrayResponseDto,
  type CancelQueueItemResponseDto,
  type JobDto,
  type ListJobsData,
  type SchedulerStatusDto,
  MAX_CLEANUP_AGE_S,
} from '@trainyard/sdk';
import { listLimit, parseDuration, parsePriority } from '../args';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { Cell, formatAge, formatDuration, renderPairs, renderTable, Style, truncate } from '../format';
import type { CommandRunner } from './runner';
import { ID_HELP, resolveJobId, resolveJobOrArrayId } from '../job-id';

/** A column `GET /api/jobs` sorts by (the server checks it). */
type JobSort = NonNullable<NonNullable<ListJobsData['query']>['sort']>;

/** The colour a status is shown in. */
export function statusStyle(ctx: CliContext, status: string): Style | undefined {
  const c = ctx.colors;
  switch (status) {
    case 'done':
      return c.green;
    case 'failed':
      return c.red;
    case 'aborted':
    case 'held':
      return c.yellow;
    case 'running':
    case 'starting':
      return c.cyan;
    default:
      return undefined;
  }
}

/**
 * A job's GPUs, worded as the console words them so an index never reads as a count: how many a
 * queued job asks for (`want 2`, `want 2×1g.10gb`); the indices a started job holds or held
 * (`#0,#1`), or how many MIG devices of which profile (`2×1g.10gb`); else `-` (no GPU, or it ended
 * without ever getting one: cancelled, or a dependency failed).
 */
export function formatGpus(
  job: Pick<JobDto, 'status' | 'gpu_indices' | 'requested_gpus' | 'gpu_profile' | 'mig_devices'>,
): string {
  const profile = job.gpu_profile ? `×${job.gpu_profile}` : '';
  if (job.status === 'queued') return job.requested_gpus ? `want ${job.requested_gpus}${profile}` : '-';
  if (job.mig_devices.length) return `${job.mig_devices.length}${profile}`;
  return job.gpu_indices.length ? job.gpu_indices.map((i) => `#${i}`).join(',') : '-';
}

/**
 * What `sched cancel` did, from the server's answer and the job as it was before: removed from the
 * queue; ended aborted (an array's, kept in its array; or queued again after running); already
 * stopping (it was `terminating`), with why; or started, and now being aborted.
 */
export function describeCancel(
  result: CancelQueueItemResponseDto,
  before: Pick<JobDto, 'status' | 'termination_reason' | 'array_id'>,
): string {
  if (result.outcome === 'removed') return `${result.queue_id} removed from the queue`;
  if (result.outcome === 'aborted')
    return before.array_id
      ? `${result.queue_id} cancelled: kept as aborted in array ${before.array_id} (trainyard sched retry ${before.array_id} runs it again)`
      : `${result.queue_id} aborted: it had run before (preempted), so its record and log are kept`;
  if (before.status === 'terminating')
    return `${result.queue_id} is already stopping${before.termination_reason ? ` (${before.termination_reason})` : ''}`;
  return `${result.queue_id} has started: aborting it`;
}

/**
 * What `sched cancel <array>` did, naming only what happened: `a_…: 2 queued: cancelled (kept as
 * aborted; trainyard sched retry a_… runs them again), 1 running: aborting`.
 */
export function describeArrayCancel(
  result: Pick<CancelArrayResponseDto, 'array_id' | 'aborted' | 'aborting'>,
): string {
  const { array_id: id, aborted, aborting } = result;
  const parts = [
    aborted.length &&
      `${aborted.length} queued: cancelled (kept as aborted; trainyard sched retry ${id} runs ` +
        `${aborted.length === 1 ? 'it' : 'them'} again)`,
    aborting.length && `${aborting.length} running: aborting`,
  ].filter(Boolean);
  return `${id}: ${parts.join(', ')}`;
}

/** What `sched priority` did: `q_… priority 0 → 5` (or `stays 5`). */
export function describePriorityChange(job: Pick<JobDto, 'queue_id' | 'priority'>, before: number): string {
  const change = before === job.priority ? `stays ${job.priority}` : `${before} → ${job.priority}`;
  return `${job.queue_id} priority ${change}`;
}

/** What `sched hold` / `release` did: `q_… held` (`released`), or that it already was. */
export function describeHold(job: Pick<JobDto, 'queue_id' | 'held'>, wasHeld: boolean): string {
  const state = job.held ? 'held' : 'released';
  return wasHeld === job.held
    ? `${job.queue_id} ${job.held ? 'was already held' : 'is not held'}`
    : `${job.queue_id} ${state}`;
}

/** The status a list shows: a queued job the user holds reads `held`. */
export function shownStatus(job: Pick<JobDto, 'status' | 'held'>): string {
  return job.held ? 'held' : job.status;
}

/**
 * What a `terminating` job is waiting for: `stopping (user_abort); SIGKILL in 25s`, or its stop's
 * own note (`preempted by q_… (priority 10); SIGKILL in 25s`).
 */
function stoppingNote(job: JobDto, now: number): string {
  const why =
    job.error ??
    (job.termination_reason
      ? `stopping (${job.termination_reason})`
      : 'its command ended; stopping what it left behind');
  return job.kill_at
    ? `${why}; SIGKILL in ${formatDuration(Math.max(0, (Date.parse(job.kill_at) - now) / 1000))}`
    : why;
}

/**
 * The jobs table of `sched list`; `reasons` are the pending reasons of queued items. With priority
 * aging on, an AGED column shows each queued job's effective priority (what the scheduler places by). The NOTE
 * column is cut to fit the terminal (`ctx.terminalWidth`), and left whole into a file or a pipe.
 */
export function renderJobsTable(
  ctx: CliContext,
  jobs: JobDto[],
  reasons: Map<string, string | null>,
  now = Date.now(),
): string {
  // With --priority-aging the server gives queued jobs their effective (aged) priority: the
  // scheduler places by it, while the list stays by priority, so it gets a column of its own.
  const aging = jobs.some((job) => job.effective_priority !== undefined);
  const rows: Cell[][] = jobs.map((job) => [
    job.queue_id,
    { text: shownStatus(job), style: statusStyle(ctx, shownStatus(job)) },
    job.job_type,
    truncate(job.name ?? '', 24),
    formatGpus(job),
    String(job.priority),
    ...(aging
      ? [job.effective_priority === undefined ? '-' : String(Number(job.effective_priority.toFixed(1)))]
      : []),
    formatAge(job.submitted_at, now),
    formatDuration(jobRuntimeSeconds(job, now)),
    // A requeued (preempted) job keeps its last attempt's code; queued, it has none of its own yet.
    job.exit_code === null || job.status === 'queued' ? '-' : String(job.exit_code),
    (job.status === 'queued'
      ? reasons.get(job.queue_id)
      : job.status === 'terminating'
        ? stoppingNote(job, now)
        : job.error) ?? '',
  ]);
  return renderTable(
    [
      { header: 'ID' },
      { header: 'STATUS' },
      { header: 'TYPE' },
      { header: 'NAME' },
      { header: 'GPUS' },
      { header: 'PRIO', align: 'right' },
      ...(aging ? [{ header: 'AGED', align: 'right' as const }] : []),
      { header: 'AGE', align: 'right' },
      { header: 'RUNTIME', align: 'right' },
      { header: 'EXIT', align: 'right' },
      { header: 'NOTE' },
    ],
    rows,
    { width: ctx.terminalWidth },
  );
}

export function renderSchedulerStatus(status: SchedulerStatusDto, now = Date.now()): string {
  return renderPairs([
    ['scheduler', status.enabled ? 'running' : 'paused'],
    ['queued', `${status.queued_count}${status.held_count ? ` (${status.held_count} held)` : ''}`],
    ['running', String(status.running_count)],
    [
      'last tick',
      status.last_tick_at
        ? `${formatAge(status.last_tick_at, now)} ago (${status.tick_count} ticks)`
        : 'never',
    ],
  ]);
}

interface ListOptions {
  status?: string;
  sort?: string;
  order?: string;
  limit?: string;
  array?: string;
  query?: string;
}

/** The array `--array` names (a whole id, or a unique part of one); a job's id is a usage error. */
async function arrayOf(ctx: CliContext, given: string): Promise<string> {
  const found = await resolveJobOrArrayId(ctx.client, given);
  if (found.kind !== 'array')
    throw new CliError(`--array takes an array id (a_…); ${found.id} is a job`, EXIT.invalid);
  return found.id;
}

export function registerSched(program: Command, run: CommandRunner): void {
  const sched = program.command('sched').summary('queue and scheduler').description('Queue and scheduler.');

  sched
    .command('status')
    .description('whether the scheduler runs, queued/running counts, last tick')
    .action(
      run(async (ctx) => {
        const { data } = await getScheduler({ client: ctx.client });
        ctx.output(data, () => renderSchedulerStatus(data));
      }),
    );

  sched
    .command('list')
    .description('queued, active and recent jobs (active first, then newest), with pending reasons')
    .option(
      '-s, --status <list>',
      'only these statuses, comma-separated (queued,starting,running,terminating,done,failed,aborted; ' +
        'held: the queued jobs on hold, which queued includes)',
    )
    .option(
      '--sort <column>',
      'sort by submitted_at, started_at, ended_at, name, status, job_type, priority or runtime ' +
        '(default: active first, then newest)',
    )
    .option('--order <asc|desc>', 'with --sort (default: asc for name, status and job_type, else desc)')
    .option('--limit <n>', 'at most this many jobs (default: 100 in the table, all of them with --json)')
    .option('--array <id>', 'only the jobs of this array (a_…, or a unique part of its id)')
    .option(
      '-q, --query <text>',
      'only jobs whose name, id, array id, command or error has every word of TEXT (case-insensitive)',
    )
    .action(
      run(async (ctx, options: ListOptions) => {
        const limit = listLimit(ctx, options.limit);
        if (options.order && !options.sort) throw new CliError('--order goes with --sort', EXIT.invalid);
        // The server checks the column and order, naming what it takes.
        const sorted = options.sort
          ? {
              sort: options.sort as JobSort,
              ...(options.order && { order: options.order as 'asc' | 'desc' }),
            }
          : {};
        const array = options.array === undefined ? undefined : await arrayOf(ctx, options.array);
        // Queued jobs come with their pending reason; past 1,000 the list is read page by page.
        const page = await listJobsUpTo(
          ctx.client,
          {
            status: options.status,
            ...sorted,
            ...(array && { array_id: array }),
            ...(options.query !== undefined && { q: options.query }),
          },
          limit,
        );
        const reasons = new Map(page.items.map((job) => [job.queue_id, job.pending_reason ?? null]));
        if (ctx.json) {
          ctx.printJson({
            items: page.items.map((job) => ({ ...job, pending_reason: job.pending_reason ?? null })),
            total: page.total,
          });
          return;
        }
        if (!page.items.length) {
          ctx.note(options.status ? `no ${options.status} jobs` : 'no jobs');
          return;
        }
        ctx.print(renderJobsTable(ctx, page.items, reasons));
        if (page.total > page.items.length) {
          ctx.note(`${page.items.length} of ${page.total} shown (--limit to see more)`);
        }
      }),
    );

  for (const [name, enabled] of [
    ['pause', false],
    ['resume', true],
  ] as const) {
    sched
      .command(name)
      .description(enabled ? 'launch queued work again' : 'stop launching queued work (running jobs go on)')
      .action(
        run(async (ctx) => {
          const { data } = await setScheduler({ client: ctx.client, body: { enabled } });
          ctx.output(data, () => `scheduler ${data.enabled ? 'running' : 'paused'}`);
        }),
      );
  }

  sched
    .command('cancel')
    .description(
      'remove a queued item, or abort it when it is already running; an array id (a_…) does so for each of its jobs',
    )
    .argument('<id>', `${ID_HELP}, or an array id (or a part of one)`)
    .action(
      run(async (ctx, given: string) => {
        const target = await resolveJobOrArrayId(ctx.client, given);
        if (target.kind === 'array') {
          const { data } = await cancelArray({ client: ctx.client, path: { array_id: target.id } });
          return ctx.output(data, () => describeArrayCancel(data));
        }
        const id = target.id;
        // The answer says `aborting` for a running job and for one already stopping alike, and the
        // cancel makes a running job `terminating`: only its status before tells the two apart.
        const { data: before } = await getJob({ client: ctx.client, path: { queue_id: id } });
        const { data } = await cancelQueueItem({ client: ctx.client, path: { queue_id: id } });
        ctx.output(data, () => describeCancel(data, before));
      }),
    );

  sched
    .command('priority')
    .description(
      "change a queued job's priority (higher runs first); it keeps its place among equal priorities " +
        'and its age, and the scheduler re-places the queue at once',
    )
    .argument('<id>', ID_HELP)
    .argument('<priority>', 'the new priority, a whole number (negative ones too), same bounds as at submit')
    .action(
      run(async (ctx, given: string, text: string) => {
        const priority = parsePriority(text, '<priority>');
        const id = await resolveJobId(ctx.client, given);
        const { data: before } = await getJob({ client: ctx.client, path: { queue_id: id } });
        const { data } = await changeQueuePriority({
          client: ctx.client,
          path: { queue_id: id },
          body: { priority },
        });
        ctx.output(data, () => describePriorityChange(data, before.priority));
      }),
    );

  for (const held of [true, false]) {
    sched
      .command(held ? 'hold' : 'release')
      .description(
        held
          ? 'keep a queued job from starting, in its place and with its age, until released; an array id (a_…) holds each of its queued jobs'
          : 'let a held job start again, from its old place in the queue; an array id (a_…) releases each of its held jobs',
      )
      .argument('<id>', `${ID_HELP}, or an array id (or a part of one)`)
      .action(
        run(async (ctx, given: string) => {
          const target = await resolveJobOrArrayId(ctx.client, given);
          if (target.kind === 'array') {
            const call = held ? holdArray : releaseArray;
            const { data } = await call({ client: ctx.client, path: { array_id: target.id } });
            const n = data.changed.length;
            return ctx.output(
              data,
              () => `${data.array_id}: ${n} queued job${n === 1 ? '' : 's'} ${held ? 'held' : 'released'}`,
            );
          }
          const { data: before } = await getJob({ client: ctx.client, path: { queue_id: target.id } });
          const call = held ? holdQueueItem : releaseQueueItem;
          const { data } = await call({ client: ctx.client, path: { queue_id: target.id } });
          ctx.output(data, () => describeHold(data, before.held));
        }),
      );
  }

  sched
    .command('retry')
    .description(
      "submit an array's failed and aborted jobs again, as a new array (same indices and parameters), " +
        "and print its id; given one of its jobs, retries that job's array",
    )
    .argument('<id>', 'array id (a_…) or the id of one of its jobs, or a unique prefix or suffix of either')
    .action(
      run(async (ctx, given: string) => {
        const target = await resolveJobOrArrayId(ctx.client, given);
        let arrayId = target.id;
        if (target.kind === 'job') {
          const { data: job } = await getJob({ client: ctx.client, path: { queue_id: target.id } });
          if (job.array_id === null)
            throw new CliError(
              `${job.queue_id} is not in an array: sched retry retries an array's failed jobs; ` +
                `to run this one again: trainyard job resubmit ${job.queue_id}`,
              EXIT.invalid,
            );
          arrayId = job.array_id;
          // Said first (on stderr: stdout stays the result), so a refusal below reads in context.
          ctx.note(`${job.queue_id} is in array ${arrayId}: retrying its failed jobs`);
        }
        const { data } = await retryArray({ client: ctx.client, path: { array_id: arrayId } }).catch(
          (err: unknown) => {
            // 409: nothing left to retry; the server's sentence says where its retry went.
            if (err instanceof TrainyardApiError && err.status === 409) throw new CliError(err.message);
            throw err;
          },
        );
        // The new array's id alone on stdout, as submit prints one (`A=$(trainyard sched retry …)`);
        // what it holds on stderr. New jobs in a new array: the finished ones stay as they ended.
        ctx.output(data, () => data.array_id);
        ctx.note(
          `${data.total} job${data.total === 1 ? '' : 's'} of ${arrayId} submitted again as a new array`,
        );
      }),
    );

  sched
    .command('cleanup')
    .description(
      'remove finished job records and their logs: all of them, those --older-than a duration ' +
        'and/or of a --status, or one by id',
    )
    .argument('[id]', 'only this finished job')
    .option('--older-than <duration>', 'only jobs that ended longer ago than this (e.g. 7d, 12h, 90m)')
    .option('--status <list>', 'only jobs that ended so: done, failed, aborted (comma-separated)')
    .option('--all', 'every finished job (needed when neither an id nor a filter is given)')
    .action(
      run(
        async (
          ctx,
          id: string | undefined,
          options: { olderThan?: string; status?: string; all?: boolean },
        ) => {
          const filtered = options.olderThan !== undefined || options.status !== undefined;
          if ((id !== undefined || filtered) && options.all)
            throw new CliError('--all removes every finished job: give it alone', EXIT.invalid);
          if (id !== undefined && filtered)
            throw new CliError('give a job id or --older-than/--status, not both', EXIT.invalid);
          // A script's unquoted unset variable (`sched cleanup $JOB`) gives no argument at all: removing
          // every finished job and its log then takes saying so.
          if (id === undefined && !filtered && !options.all)
            throw new CliError(
              'give a job id, --older-than/--status, or --all to remove every finished job and its log',
              EXIT.invalid,
            );
          const olderThan =
            options.olderThan === undefined
              ? null
              : parseDuration(options.olderThan, '--older-than', { none: false });
          if (olderThan !== null && olderThan > MAX_CLEANUP_AGE_S)
            throw new CliError(
              `--older-than must be at most 36500d (100 years), got "${options.olderThan}"`,
              EXIT.invalid,
            );
          // `!== undefined`: an empty id (a script's unset variable) is refused, not "all of them".
          const { data } =
            id !== undefined
              ? await deleteJob({
                  client: ctx.client,
                  path: { queue_id: await resolveJobId(ctx.client, id) },
                })
              : await cleanupJobs({
                  client: ctx.client,
                  query: {
                    ...(olderThan !== null
                      ? { ended_before: new Date(Date.now() - olderThan * 1000).toISOString() }
                      : {}),
                    ...(options.status !== undefined ? { status: options.status } : {}),
                  },
                });
          ctx.output(data, () => {
            const removed =
              id !== undefined && data.deleted.length === 1
                ? `removed ${data.deleted[0]}`
                : `removed ${data.deleted.length} finished job${data.deleted.length === 1 ? '' : 's'}`;
            const kept = data.kept ?? [];
            return kept.length
              ? `${removed}; kept ${kept.length} that queued jobs depend on: ${kept.join(', ')}`
              : removed;
          });
        },
      ),
    );

  sched
    .command('gc')
    .description('remove orphan log files (older than 7 days, belonging to no job)')
    .action(
      run(async (ctx) => {
        const { data } = await gcJobLogs({ client: ctx.client });
        // `kept` is mostly the files of existing jobs, which are no orphans: counted apart.
        ctx.output(
          data,
          () =>
            `removed ${data.removed.length} orphan log file(s); ${data.kept - data.kept_orphans} file(s) of existing jobs kept` +
            (data.kept_orphans ? `; ${data.kept_orphans} orphan file(s) newer than 7 days kept` : ''),
        );
      }),
    );
}
