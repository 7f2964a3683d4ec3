import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { listJobTypes, submitJob, type SubmitJobRequestDto } from '@trainyard/sdk';
import {
  collect,
  parseDuration,
  parseGracePeriod,
  parseInteger,
  parseJsonObject,
  parseParamValue,
  parsePriority,
  parseSize,
  splitKeyValue,
} from '../args';
import { jobCwd, shellCwd } from '../job-cwd';
import { CliError, EXIT } from '../errors';
import { resolveExistingJobOrArrayId } from '../job-id';
import { reportWithClusterHint } from './cluster.command';
import type { CommandRunner } from './runner';

/** `trainyard submit -- python train.py` just works. */
const DEFAULT_TYPE = 'command';

interface SubmitOptions {
  type?: string;
  gpus?: string;
  priority?: string;
  env?: string[];
  cwd?: string;
  name?: string;
  param?: string[];
  paramJson?: string;
  after?: string[];
  array?: string;
  sweep?: string[];
  maxRunning?: string;
  timeLimit?: string;
  killGrace?: string;
  logCap?: string;
  preemptible?: boolean;
  hold?: boolean;
  gpuProfile?: string;
}

const CONDITIONS = ['after_ok', 'after_any', 'after_not_ok', 'after_start'] as const;

/** `--after q_…[:condition]`: the condition as in the API (after_ok) or short (ok, any, not_ok, start). */
export function parseAfter(text: string): { queue_id: string; condition: (typeof CONDITIONS)[number] } {
  const [queueId, given = 'after_ok'] = text.split(':');
  const condition = given.startsWith('after_') ? given : `after_${given}`;
  if (!(CONDITIONS as readonly string[]).includes(condition))
    throw new CliError(
      `--after ${text}: the condition must be one of ${CONDITIONS.join(', ')} (or ok, any, not_ok, start)`,
      EXIT.invalid,
    );
  return { queue_id: queueId, condition: condition as (typeof CONDITIONS)[number] };
}

/** `--sweep lr=1e-3,1e-4`: values stay text (placeholders get them as typed; the server converts typed params). */
export function parseSweep(entries: readonly string[]): Record<string, string[]> {
  const sweep: Record<string, string[]> = {};
  for (const entry of entries) {
    const [key, list] = splitKeyValue(entry, '--sweep');
    if (key in sweep) throw new CliError(`--sweep ${key} is given twice`, EXIT.invalid);
    sweep[key] = list.split(',');
    // `lr=` or `lr=1e-3,,1e-4` is a typo far more often than a wish to sweep over nothing.
    if (sweep[key].includes(''))
      throw new CliError(`--sweep ${entry}: empty value (give ${key}=v1,v2,...)`, EXIT.invalid);
  }
  return sweep;
}

/**
 * Builds the request body from the flags; pure, so it is unit-tested. Like tsp, pueue, nq and sbatch,
 * the job runs where the caller is: `cwd` defaults to `callerCwd`, and a relative `--cwd` is resolved
 * against it here (the API takes absolute paths only).
 */
export function buildSubmitBody(
  options: SubmitOptions,
  argv: string[],
  defaultGpus: number,
  callerCwd: string | null,
): SubmitJobRequestDto {
  const jobParams: Record<string, unknown> = options.paramJson
    ? parseJsonObject(options.paramJson, '--param-json')
    : {};
  for (const entry of options.param ?? []) {
    const [key, value] = splitKeyValue(entry, '--param');
    jobParams[key] = parseParamValue(value);
  }
  if (argv.length) {
    // Two argvs: one would be dropped without a word.
    if ('argv' in jobParams)
      throw new CliError(
        'argv is given twice: by --param (or --param-json) and by the words after `--`; give it once',
        EXIT.invalid,
      );
    jobParams.argv = argv;
  }
  const env: Record<string, string> = {};
  for (const entry of options.env ?? []) {
    const [key, value] = splitKeyValue(entry, '--env');
    env[key] = value;
  }
  const body: SubmitJobRequestDto = {
    job_type: options.type ?? DEFAULT_TYPE,
    requested_gpus:
      options.gpus === undefined ? defaultGpus : parseInteger(options.gpus, '--gpus', { min: 0 }),
    job_params: jobParams,
  };
  if (options.priority !== undefined) body.priority = parsePriority(options.priority, '--priority');
  if (options.env?.length) body.env = env;
  body.cwd = jobCwd(callerCwd, options.cwd);
  if (options.name !== undefined) body.name = options.name;
  if (options.after?.length) body.depends_on = options.after.map(parseAfter);
  if (options.array !== undefined || options.sweep?.length || options.maxRunning !== undefined) {
    body.array = {};
    if (options.array !== undefined) body.array.count = parseInteger(options.array, '--array', { min: 1 });
    if (options.sweep?.length) body.array.sweep = parseSweep(options.sweep);
    if (options.maxRunning !== undefined)
      body.array.max_running = parseInteger(options.maxRunning, '--max-running', { min: 1 });
    if (body.array.count === undefined && body.array.sweep === undefined)
      throw new CliError('--max-running needs --array or --sweep', EXIT.invalid);
  }
  if (options.timeLimit !== undefined) body.time_limit_s = parseDuration(options.timeLimit, '--time-limit');
  if (options.killGrace !== undefined)
    body.kill_grace_s = parseGracePeriod(options.killGrace, '--kill-grace');
  if (options.logCap !== undefined) body.log_cap_bytes = parseSize(options.logCap, '--log-cap');
  if (options.preemptible) body.preemptible = true;
  if (options.hold) body.held = true;
  if (options.gpuProfile !== undefined) body.gpu_profile = options.gpuProfile;
  return body;
}

export function registerSubmit(program: Command, run: CommandRunner): void {
  program
    .command('submit')
    .summary('queue a job')
    .description(
      'Queue a job. The words after `--` become job_params.argv: for `--type command`, the program and ' +
        'its arguments, run verbatim without a shell. Prints the queue id (the item with --json).',
    )
    .option(
      '-t, --type <type>',
      'job type (command, training, inference, ...; see GET /api/job-types)',
      DEFAULT_TYPE,
    )
    .option('-g, --gpus <n>', "GPUs to reserve (default: the job type's default)")
    .option('-P, --priority <p>', 'higher runs first; may be negative (default 0)')
    .option('-e, --env <KEY=VALUE>', 'extra environment variable (repeatable)', collect)
    .option('--cwd <dir>', 'working directory, relative to the current one (default: the current directory)')
    .option('-n, --name <name>', 'label shown in lists')
    .option(
      '--time-limit <duration>',
      "stop the job after this long (90 = 90 seconds, 30m, 2h, 1h30m, 1:30:00 = H:MM:SS; none: no limit; default: the type's or server's)",
    )
    .option(
      '--kill-grace <duration>',
      "seconds between SIGTERM and SIGKILL when the job is stopped or leaves processes behind (3s, 90, 2m, at most 1h; 0: SIGKILL right after SIGTERM; default: the server's --kill-grace, 10 s unless it was started with another)",
    )
    .option(
      '--log-cap <size>',
      "cap the job's log at this size: the oldest output is dropped, keeping between half and all of it (64k, 10M, 1G or bytes; none: no cap; at least 4k; default: the server's, 1G)",
    )
    .option(
      '--preemptible',
      'a higher-priority job may stop it (checkpoint: trainer save-stop, else a signal) and requeue it; ' +
        'its next attempt sees TRAINYARD_RESTART_COUNT',
    )
    .option(
      '--hold',
      'queue it held (every job of an array): it starts only once released (`trainyard sched release <id>`)',
    )
    .option(
      '--gpu-profile <profile>',
      'MIG profile (e.g. 1g.10gb): --gpus then counts MIG devices of it (see GET /api/gpus)',
    )
    .option(
      '--param <key=value>',
      'job parameter; the value is parsed as JSON when it is JSON (repeatable)',
      collect,
    )
    .option('--param-json <json>', 'job parameters as one JSON object (--param entries override it)')
    .option(
      '--after <id[:condition]>',
      'start only after job <id> (or a unique prefix or suffix of one; an array id a_…: every job of the array) succeeded (condition ok, the default), ended (any), failed (not_ok) or started (start); repeatable',
      collect,
    )
    .option(
      '--array <n>',
      'submit n copies as one array ({index} in argv, --env values and --name becomes 0..n-1)',
    )
    .option(
      '--sweep <key=v1,v2,...>',
      'an array over these values; {key} in argv, --env values and --name becomes each (repeatable: the cartesian product)',
      collect,
    )
    .option('--max-running <k>', 'with --array/--sweep: at most k of its jobs run at once')
    .argument('[argv...]', 'after `--`: the command and its arguments')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  trainyard submit --gpus 2 --name smoke -- python train.py --lr 3e-4\n' +
        '  trainyard submit --gpus 1 --time-limit 2h -- python train.py\n' +
        '  trainyard submit --gpus 2 --preemptible -- python train.py --resume\n' +
        '  trainyard submit --hold --gpus 8 -- python big.py   # starts after trainyard sched release\n' +
        '  trainyard submit --kill-grace 2m --log-cap 10M -- python train.py\n' +
        '  trainyard submit --type tensorboard --param logdir=/runs --param port=6006\n' +
        '  trainyard submit --sweep lr=1e-3,1e-4 --sweep bs=16,32 --max-running 2 -- python train.py --lr {lr} --bs {bs}\n' +
        '  trainyard submit --after q_…:ok -- python eval.py\n' +
        '  trainyard submit --after a_…:any -- python summarize.py   # after every job of a sweep ended\n',
    )
    .action(
      run(async (ctx, argv: string[], options: SubmitOptions) => {
        let defaultGpus = 0;
        if (options.gpus === undefined) {
          const { data: types } = await listJobTypes({ client: ctx.client });
          defaultGpus = types.find((t) => t.name === (options.type ?? DEFAULT_TYPE))?.default_gpus ?? 0;
        }
        const body = buildSubmitBody(options, argv, defaultGpus, shellCwd());
        // --after takes what every other command takes: a unique prefix or suffix of an id too; an
        // unknown one is "not found" (exit 5) as for them, not the server's 400 for the body (exit 2).
        for (const dependency of body.depends_on ?? [])
          dependency.queue_id = (
            await resolveExistingJobOrArrayId(ctx.client, dependency.queue_id, '--after')
          ).id;
        if (body.job_type === 'command' && !Array.isArray(body.job_params.argv)) {
          throw new CliError(
            'a command job needs its argv after `--`, e.g. trainyard submit --type command -- echo hello',
            EXIT.invalid,
          );
        }
        // A submit cut off by a restart is sent again with the same key: queued once, whatever happened.
        let submitted;
        try {
          submitted = await submitJob({
            client: ctx.client,
            body,
            headers: { 'Idempotency-Key': randomUUID() },
          });
        } catch (err) {
          // More GPUs than this host has, on a node of a cluster: a line after the error says where it goes.
          return reportWithClusterHint(ctx, err);
        }
        const item = submitted.data;
        // An array answers with its first job: print the array id, what `wait` and the API take.
        ctx.output(item, () => item.array_id ?? item.queue_id);
        // The id alone on stdout (scripts take it); how to let it start on stderr.
        if (item.held && !ctx.json)
          process.stderr.write(
            `trainyard: held: \`trainyard sched release ${item.array_id ?? item.queue_id}\` lets it start\n`,
          );
      }),
    );
}
