import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Command, Option } from 'commander';
import {
  jobRuntimeSeconds,
  controlJob,
  getJob,
  getJobLog,
  getJobLogRange,
  streamJobLog,
  TrainyardApiError,
  submitJob,
  TrainyardConnectionError,
  type JobControlResponseDto,
  type JobLogStreamResult,
  type Stream,
  type JobDto,
  type SubmitJobRequestDto,
  escapeControls,
} from '@trainyard/sdk';
import { parsePriority, parseTailLines, tailLinesOption } from '../args';
import { ANSWER_TIMEOUT_MS, type CliContext, serverAway } from '../context';
import { CliError, EXIT, serverStoppedError } from '../errors';
import { formatAge, formatDuration, renderPairs, shellWord } from '../format';
import { TerminalOutputFilter } from '../terminal-filter';
import { ID_HELP, resolveJobId } from '../job-id';
import { requireYes, type CommandRunner } from './runner';
import { formatGpus } from './sched.command';

type ControlAction = 'stop' | 'save' | 'save-stop' | 'abort' | 'kill' | 'force-kill';

// Mirrors TERMINAL_STATUSES in libs/jobs/src/job-lifecycle.ts (the CLI sees the API only through the SDK).
const TERMINAL = new Set(['done', 'failed', 'aborted']);

/** How a job ended, as far as its exit code for a script goes (fields a job, an array's job or an end frame has). */
export interface EndedAs {
  status: string;
  exit_code: number | null;
  termination_reason?: string | null;
  started_at?: string | null;
  /** Attempts before the last (a preempted job queued again): one that has any ran. */
  restart_count?: number;
}

/**
 * Cancelled before it ever started: removed from the queue (`cancelled`), or kept as `aborted` by
 * the user without a start (an array's queued job, a held one). A preempted job cancelled while
 * queued again has no start either (its record holds the attempt to come), but it ran before.
 */
export function cancelledBeforeStart(end: EndedAs): boolean {
  return (
    end.status === 'cancelled' ||
    (end.status === 'aborted' &&
      end.termination_reason === 'user_abort' &&
      end.started_at === null &&
      !end.restart_count)
  );
}

/**
 * What `job tail` exits with when the job ends: 0 for done, its exit code otherwise, 1 without one;
 * 5 (not found) when it never ran because it was cancelled from the queue, or its record was deleted.
 */
export function exitCodeFor(end: EndedAs): number {
  if (end.status === 'done') return 0;
  if (cancelledBeforeStart(end) || end.status === 'deleted') return EXIT.notFound;
  return end.exit_code ? Math.min(end.exit_code, 255) : 1;
}

/**
 * The status with its exit code; a preempted job queued again is waiting, not failed: its code is
 * the last attempt's, said so.
 */
function statusText(job: JobDto): string {
  if (job.held) return `queued, held (\`trainyard sched release ${job.queue_id}\` lets it start)`;
  if (job.status === 'queued' && job.restart_count > 0)
    return `queued again after preemption (attempt ${job.restart_count + 1}${job.exit_code === null ? '' : `; the last one exited ${job.exit_code}`})`;
  return job.exit_code === null ? job.status : `${job.status} (exit ${job.exit_code})`;
}

export function renderJob(job: JobDto, trainer: unknown, now = Date.now()): string {
  const when = (iso: string | null) => (iso ? `${iso}  (${formatAge(iso, now)} ago)` : '-');
  const gpus = formatGpus(job);
  const pairs: Array<[string, string]> = [
    ['id', job.queue_id],
    ['name', job.name ?? '-'],
    ['status', statusText(job)],
    ['reason', job.termination_reason ?? '-'],
    ['type', job.job_type],
    ['priority', String(job.priority)],
    // `-` for a job that asked for GPUs and ended without any: say what it had asked for.
    ['gpus', gpus === '-' && job.requested_gpus ? `- (requested ${job.requested_gpus})` : gpus],
    ['pid', job.pid === null ? '-' : String(job.pid)],
    ['submitted', when(job.submitted_at)],
    ['started', when(job.started_at)],
    ['ended', when(job.ended_at)],
    ['runtime', formatDuration(jobRuntimeSeconds(job, now))],
    ['time limit', job.time_limit_s === null ? '-' : formatDuration(job.time_limit_s)],
    ['preemptible', job.preemptible ? `yes (requeued ${job.restart_count}×)` : 'no'],
    ['cwd', job.cwd],
    ['params', JSON.stringify(job.job_params)],
  ];
  // What its type built from those params, as started (a command job's is its argv again).
  if (job.argv && !Array.isArray(job.job_params['argv']))
    pairs.push(['command', job.argv.map(shellWord).join(' ')]);
  // Why it still waits, and the settings that change how it runs and ends: shown when they apply.
  if (job.status === 'queued') pairs.splice(4, 0, ['waiting', job.pending_reason ?? '-']);
  if (job.kill_at)
    pairs.splice(4, 0, [
      'sigkill at',
      `${job.kill_at}  (in ${formatDuration(Math.max(0, (Date.parse(job.kill_at) - now) / 1000))})`,
    ]);
  if (job.depends_on.length)
    pairs.push(['depends on', job.depends_on.map((d) => `${d.queue_id} (${d.condition})`).join(', ')]);
  if (job.array_id !== null) pairs.push(['array', `${job.array_id} [${job.array_index ?? 0}]`]);
  if (job.retry_of !== null) pairs.push(['retry of', job.retry_of]);
  if (job.kill_grace_s !== null) pairs.push(['kill grace', `${job.kill_grace_s}s`]);
  if (job.log_cap_bytes !== null) pairs.push(['log cap', `${job.log_cap_bytes} bytes`]);
  if (job.mig_devices.length) pairs.push(['mig devices', job.mig_devices.join(' ')]);
  const env = Object.entries(job.env);
  if (env.length) pairs.push(['env', env.map(([k, v]) => `${k}=${shellWord(v)}`).join(' ')]);
  if (job.error) pairs.push(['error', job.error]);
  let text = renderPairs(pairs);
  if (trainer !== null && trainer !== undefined)
    text += `\ntrainer status:\n${JSON.stringify(trainer, null, 2)}\n`;
  return text;
}

function describeControl(result: JobControlResponseDto): string {
  if (result.trainer_response !== undefined) {
    return `${result.queue_id}: ${result.action} sent to the trainer: ${JSON.stringify(result.trainer_response)}`;
  }
  // An abort its trainer did not take: say so, or the signal reads as what was asked for.
  const instead =
    result.trainer_error === undefined
      ? ''
      : `the trainer did not take the abort (${result.trainer_error}); instead: `;
  return `${result.queue_id}: ${instead}${describeSignal(result)}`;
}

function describeSignal(result: JobControlResponseDto): string {
  const pids = result.pids ?? [];
  const signal = result.action === 'force-kill' ? 'SIGKILL' : 'SIGTERM';
  if (result.repeated) return `already sent ${signal}; not sent again (a second one would restart a save)`;
  // Recorded before any signal: a job still starting gets it the moment its process exists.
  if (!pids.length)
    return `stop recorded; no process to signal yet (a job still starting gets ${signal} once its process exists)`;
  return `${signal} sent to ${pids.length} process${pids.length === 1 ? '' : 'es'} (${pids.join(', ')})`;
}

async function control(ctx: CliContext, id: string, action: ControlAction): Promise<number> {
  const { data } = await controlJob({ client: ctx.client, path: { queue_id: id, action } });
  ctx.output(data, () => describeControl(data));
  if (data.survivors?.length) {
    // After SIGKILL, survivors are a real problem; after SIGTERM they are usually still saving: the
    // job stays terminating (its GPUs reserved) and SIGKILL follows after its grace period.
    if (action === 'force-kill')
      throw new CliError(
        `${data.survivors.length} process(es) still running 2 s after SIGKILL (${data.survivors.join(', ')})`,
      );
    // The time left, not the grace period: the server answered after watching them for 2 s.
    const when = data.kill_at
      ? `at ${new Date(data.kill_at).toTimeString().slice(0, 8)}, its grace period after SIGTERM ` +
        `(${formatDuration(Math.max(0, (Date.parse(data.kill_at) - Date.now()) / 1000))} from now)`
      : 'after its grace period';
    if (!ctx.json)
      process.stderr.write(
        `${data.survivors.length} process(es) still shutting down (${data.survivors.join(', ')}); the job is ` +
          `terminating and gets SIGKILL ${when} (or now: trainyard job force-kill --yes ${id})\n`,
      );
  }
  return EXIT.ok;
}

const TAIL_RETRY_DELAY_MS = 500;

/**
 * On a terminal, job output goes through {@link TerminalOutputFilter} (colours and progress bars
 * kept; title/clipboard strings and terminal queries dropped) unless `raw`; piped, it is byte-exact.
 */
async function tail(
  ctx: CliContext,
  id: string,
  options: { raw?: boolean; lines?: number },
): Promise<number> {
  const { data: job } = await getJob({ client: ctx.client, path: { queue_id: id } }); // unknown id: 404 → exit 5
  const from =
    options.lines === undefined || job.status === 'queued' ? 0 : await lastLines(ctx, id, options.lines);
  // Silence until it starts would look like a hang: say why it waits (stderr: stdout is its output).
  if (job.status === 'queued')
    process.stderr.write(
      `trainyard: ${id} is queued${job.pending_reason ? ` (${escapeControls(job.pending_reason)})` : ''}; its output follows once it starts\n`,
    );
  const filter = process.stdout.isTTY && !options.raw ? new TerminalOutputFilter() : null;
  try {
    return await follow(ctx, id, from, (bytes) => process.stdout.write(filter ? filter.write(bytes) : bytes));
  } finally {
    if (filter) process.stdout.write(Buffer.concat([filter.end(), filter.restore()]));
  }
}

/** The byte offset where the last `count` lines of the job's log start (0 while it has none). */
async function lastLines(ctx: CliContext, id: string, count: number): Promise<number> {
  try {
    const { response } = await getJobLogRange({
      client: ctx.client,
      path: { queue_id: id },
      query: { last: count, lines: 0 },
    });
    return Number(response.headers.get('x-trainyard-log-offset') ?? 0);
  } catch (err) {
    // No output yet (a job that is starting): all of it is the last lines.
    if (err instanceof TrainyardApiError && err.code === 'NOT_FOUND') return 0;
    throw err;
  }
}

/**
 * Streams the log from byte `from` to `write` until the job ends; resolves with the exit code to
 * use. Ctrl-C closes the stream and exits 130.
 */
async function follow(
  ctx: CliContext,
  id: string,
  from: number,
  write: (bytes: Uint8Array) => void,
): Promise<number> {
  const { baseUrl, token, answerTimeoutMs = ANSWER_TIMEOUT_MS } = ctx.connection;
  let interrupted = false;
  let stream: Stream<JobLogStreamResult> | null = null;
  const onSigint = () => {
    interrupted = true;
    stream?.close();
  };
  process.once('SIGINT', onSigint);
  try {
    // Resume where the last connection stopped, so a server restart neither repeats nor loses lines.
    let offset = from;
    let lostSince: number | null = null; // when the server went away; null while it answers
    let announced = false; // "reconnecting" said
    let spared = false; // one more try given after the server seemed stopped
    for (;;) {
      const resumeAt = offset;
      stream = streamJobLog(
        id,
        { baseUrl, token, answerTimeoutMs, follow: true, offset },
        {
          onData: write,
          onReset: () =>
            process.stderr.write('\ntrainyard: the log was truncated; replaying it from the start\n'),
          onStart: ({ offset: start }) => {
            if (announced) process.stderr.write('trainyard: reconnected\n');
            lostSince = null;
            announced = spared = false;
            if (resumeAt > 0 && start !== resumeAt)
              process.stderr.write(`\ntrainyard: resumed at byte ${start} of the log, not ${resumeAt}\n`);
          },
        },
      );
      let result: JobLogStreamResult | null = null;
      let refused: TrainyardConnectionError | null = null;
      try {
        result = await stream.closed;
      } catch (err) {
        // Not even connected: the server is (still) down while it restarts, unless it never was up.
        if (lostSince === null || !(err instanceof TrainyardConnectionError)) throw err;
        refused = err;
      }
      if (interrupted) return EXIT.interrupted;
      if (result?.end) {
        // An end frame has no start time: whether an aborted job ever ran is the job's to say.
        const end =
          result.end.status === 'aborted'
            ? (await getJob({ client: ctx.client, path: { queue_id: id } })).data
            : result.end;
        if (cancelledBeforeStart(end))
          process.stderr.write(`trainyard: ${id} was cancelled before it started\n`);
        else if (!TERMINAL.has(end.status)) process.stderr.write(`trainyard: ${id} was ${end.status}\n`);
        return exitCodeFor(end);
      }
      if (result?.position !== undefined && result.position !== null) offset = result.position;
      const goingAway = result === null || result.code === 1001 || result.code === 1006;
      if (goingAway && !result?.error) {
        lostSince ??= Date.now();
        // Whether to wait is the decision a request makes (a stopped server: not at all). A socket
        // that just closed gets one more try first: a refused connection says the server is gone.
        const away = await serverAway(ctx.connection, lostSince);
        if (!away) {
          // Stopped, not restarting: say so (the job is not affected) rather than "is it running?".
          if (refused || spared)
            throw serverStoppedError(baseUrl, `${id} goes on running`, `trainyard job tail ${id}`);
          spared = true;
        } else if (!announced) {
          announced = true;
          process.stderr.write(
            // Not a promise to wait: a server that is stopping, not restarting, lets go of its state
            // directory in a moment, and the next check gives up then (a trial read "60 s" here).
            `\ntrainyard: the server went away; reconnecting if it is restarting (at most ${away.waitMs / 1000} s)…\n`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, TAIL_RETRY_DELAY_MS));
        if (interrupted) return EXIT.interrupted;
        continue;
      }
      // No end frame: an error frame (e.g. no output recorded) or another close. Ended jobs still
      // exit with their own code.
      const { data: job } = await getJob({ client: ctx.client, path: { queue_id: id } });
      if (TERMINAL.has(job.status)) {
        if (cancelledBeforeStart(job))
          process.stderr.write(`trainyard: ${id} was cancelled before it started\n`);
        else if (result?.error) process.stderr.write(`trainyard: ${escapeControls(result.error)}\n`);
        return exitCodeFor(job);
      }
      throw new CliError(
        result?.error ??
          `the log stream closed before ${id} ended (code ${result?.code ?? 'none'}${result?.reason ? `: ${result.reason}` : ''})`,
      );
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

async function dump(ctx: CliContext, id: string): Promise<void> {
  const { data } = await getJobLog({ client: ctx.client, path: { queue_id: id }, parseAs: 'stream' });
  const body = data as unknown as ReadableStream<Uint8Array> | null;
  if (!body) return;
  await pipeline(Readable.fromWeb(body as Parameters<typeof Readable.fromWeb>[0]), process.stdout, {
    end: false,
  });
}

/**
 * A submit of the same job again: its type, parameters, GPUs (and MIG profile), priority, name,
 * working directory, environment, time limit (as resolved at its submit), kill grace, log cap and
 * preemptibility; not its dependencies (they were met, or failed) nor its array.
 */
export function resubmitBody(job: JobDto, priority?: number): SubmitJobRequestDto {
  const body: SubmitJobRequestDto = {
    job_type: job.job_type,
    job_params: job.job_params,
    requested_gpus: job.requested_gpus,
    priority: priority ?? job.priority,
    cwd: job.cwd,
    env: job.env,
    time_limit_s: job.time_limit_s,
    preemptible: job.preemptible,
  };
  if (job.name !== null) body.name = job.name;
  if (job.gpu_profile !== null) body.gpu_profile = job.gpu_profile;
  if (job.kill_grace_s !== null) body.kill_grace_s = job.kill_grace_s;
  if (job.log_cap_bytes !== null) body.log_cap_bytes = job.log_cap_bytes;
  return body;
}

export function registerJob(program: Command, run: CommandRunner): void {
  const job = program.command('job').summary('one job: status, control, logs').description('One job.');

  job
    .command('status')
    .description("the job's record, and its trainer's status when it reports one")
    .argument('<id>', ID_HELP)
    .action(
      run(async (ctx, given: string) => {
        const id = await resolveJobId(ctx.client, given);
        const { data } = await getJob({ client: ctx.client, path: { queue_id: id } });
        // Present while it runs and its trainer reports one (the server polls it).
        const trainer = data.trainer_status ?? null;
        ctx.output({ ...data, trainer_status: trainer }, () => renderJob(data, trainer));
      }),
    );

  const actions: Array<[ControlAction, string]> = [
    ['stop', 'graceful stop through the trainer (saves a final checkpoint)'],
    ['save', 'ask the trainer to save a checkpoint'],
    ['save-stop', 'save a checkpoint, then stop'],
    ['abort', 'stop now without a checkpoint (via the trainer, else SIGTERM)'],
    ['kill', 'SIGTERM every process of the job, SIGKILL after its grace period (sent once)'],
  ];
  for (const [action, description] of actions) {
    job
      .command(action)
      .description(description)
      .argument('<id>', ID_HELP)
      // A common guess for SIGKILL: point to the command that does it.
      .addOption(new Option('-f, --force').hideHelp())
      .action(
        run(async (ctx, id: string, options: { force?: boolean }) => {
          if (options.force)
            throw new CliError(`to SIGKILL at once: trainyard job force-kill --yes ${id}`, EXIT.invalid);
          return control(ctx, await resolveJobId(ctx.client, id), action);
        }),
      );
  }

  job
    .command('force-kill')
    .description('SIGKILL every process of the job (needs --yes)')
    .argument('<id>', ID_HELP)
    .option('-y, --yes', 'confirm: SIGKILL cannot be caught or undone')
    .action(
      run(async (ctx, id: string, options: { yes?: boolean }) => {
        requireYes(options.yes, 'force-kill (SIGKILL)');
        return control(ctx, await resolveJobId(ctx.client, id), 'force-kill');
      }),
    );

  job
    .command('tail')
    .description(
      "stream the job's terminal output live; exits with the job's exit code when it ends (5 if it was " +
        'cancelled before it started). On a terminal, title/clipboard sequences and terminal queries are ' +
        'dropped (colours and progress bars kept)',
    )
    .argument('<id>', ID_HELP)
    .option('--raw', 'write the output byte for byte, escape sequences included')
    .addOption(tailLinesOption())
    .action(
      run(async (ctx, id: string, options: { raw?: boolean; lines?: string }) =>
        tail(ctx, await resolveJobId(ctx.client, id), {
          raw: options.raw,
          lines: parseTailLines(options.lines),
        }),
      ),
    );

  job
    .command('resubmit')
    .description(
      'queue a copy of a job as a new job: its type, parameters, GPUs, priority, name, working directory, ' +
        'environment and limits (not its dependencies or array). Prints the new queue id (the item with --json)',
    )
    .argument('<id>', ID_HELP)
    .option('-P, --priority <p>', "the copy's priority (default: the job's)")
    .action(
      run(async (ctx, given: string, options: { priority?: string }) => {
        const id = await resolveJobId(ctx.client, given);
        const { data: original } = await getJob({ client: ctx.client, path: { queue_id: id } });
        const priority =
          options.priority === undefined ? undefined : parsePriority(options.priority, '--priority');
        // Sent again with the same key if a restart cuts it off: queued once, as `submit` does.
        const { data: item } = await submitJob({
          client: ctx.client,
          body: resubmitBody(original, priority),
          headers: { 'Idempotency-Key': randomUUID() },
        }).catch((err: unknown) => {
          // What the job had is refused now (its directory is gone, say): no flag here changes it.
          if (!(err instanceof TrainyardApiError) || err.code !== 'VALIDATION_FAILED' || !err.details.length)
            throw err;
          throw new CliError(
            `${id} cannot be submitted again as it was: ${err.details.map((d) => d.message).join('; ')}; ` +
              '`trainyard submit` takes its settings with others in their place (--cwd, --env, …)',
            EXIT.invalid,
          );
        });
        // Its command may read TRAINYARD_ARRAY_INDEX, which a job outside the array has not: say so
        // before it fails for it, and what keeps it in an array.
        if (original.array_id !== null)
          process.stderr.write(
            `trainyard: ${id} is job ${original.array_index} of array ${original.array_id}; the copy is a job of its own, ` +
              `without TRAINYARD_ARRAY_ID or TRAINYARD_ARRAY_INDEX (\`trainyard sched retry ${id}\` submits the array's ` +
              'failed and aborted jobs again, as an array)\n',
          );
        ctx.output(item, () => item.queue_id);
      }),
    );

  job
    .command('dump')
    .description('write the captured log (up to the last 32 MiB) to stdout, byte for byte')
    .argument('<id>', ID_HELP)
    .action(run(async (ctx, id: string) => dump(ctx, await resolveJobId(ctx.client, id))));
}
