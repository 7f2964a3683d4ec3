import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  ARRAY_ID_PATTERN,
  Clock,
  DomainError,
  ErrorDetail,
  newArrayId,
  MIN_LOG_CAP_BYTES,
  newQueueId,
  QUEUE_ID_PATTERN,
  validationFailed,
  SERVER_CONFIG,
  ServerConfig,
  unknownFields,
} from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { GpuInventory } from '@trainyard/gpus';
import {
  DEPENDENCY_CONDITIONS,
  DependencyCondition,
  evaluateDependency,
  findCycle,
  Job,
  JobDependency,
  JobHeldEvent,
  JobQueuedEvent,
  JobRepository,
  queuedJob,
  QueueWaitTimer,
  StartOnSubmit,
  SubmitRequest,
  UNFINISHED_STATUSES,
  unknownJobType,
} from '@trainyard/jobs';
import { execStringProblem, JobTypeDefinition, JobTypeRegistry, validateJobParams } from '../job-types';
import {
  ArrayPoint,
  ArraySpec,
  arrayJobName,
  checkArraySpec,
  misspeltPlaceholders,
  placeholderValues,
  expandArray,
  MAX_ARRAY_JOBS,
  substitutePlaceholders,
  unusedSweepKeys,
  SweepValue,
} from '../job-arrays';
import { SubmitJobCommand, SubmitJobInput } from './submit-job.command';
import { reservedEnvProblem } from '../job-env';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Most dependencies one job may have once array ids are expanded to their jobs. */
export const MAX_DEPENDENCIES = 1000;
/** A journal transaction, as the job repository takes it (libs/queue does not reach the database itself). */
type Tx = Parameters<JobRepository['insert']>[0];

/**
 * A job's fields that a retry of a job submitted before whole requests were kept (no
 * idempotency_request) is compared with; newer submits keep the whole request (SubmitRequest).
 */
const SUBMITTED_FIELDS = [
  'job_type',
  'name',
  'priority',
  'requested_gpus',
  'job_params',
  'cwd',
  'env',
  'kill_grace_s',
  'depends_on',
  'array_max_running',
  'time_limit_s',
  'log_cap_bytes',
  'preemptible',
  'gpu_profile',
] as const;
type SubmittedField = (typeof SUBMITTED_FIELDS)[number];

@CommandHandler(SubmitJobCommand)
export class SubmitJobHandler implements ICommandHandler<SubmitJobCommand> {
  constructor(
    private readonly registry: JobTypeRegistry,
    private readonly jobs: JobRepository,
    private readonly journal: Journal,
    private readonly gpus: GpuInventory,
    private readonly clock: Clock,
    private readonly queueWait: QueueWaitTimer,
    private readonly startOnSubmit: StartOnSubmit,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  async execute({
    input,
    idempotencyKey,
    options,
  }: SubmitJobCommand): Promise<{ job: Job; replayed: boolean }> {
    const def = this.registry.get(input.job_type);
    if (!def) {
      const known = this.registry.list().map((t) => t.name);
      throw unknownJobType(input.job_type, known);
    }
    const requestedGpus = input.requested_gpus ?? def.defaultGpus;
    const details: ErrorDetail[] = [];
    const dependsOn = this.checkDependsOn(input.depends_on, details);
    const array =
      input.array === undefined || input.array === null ? null : this.checkArray(input.array, details);
    const sweepKeys = Object.keys(array?.sweep ?? {});
    // Each job of an array has its `{param}`s replaced in its params, environment and name.
    if (array)
      for (const [field, value] of [
        ['job_params', input.job_params],
        ['env', input.env],
        ['name', input.name],
      ] as const)
        details.push(...misspeltPlaceholders(value, sweepKeys, field));
    if (!details.length)
      for (const key of unusedSweepKeys(
        [input.job_params, input.env],
        sweepKeys,
        def.params.map((p) => p.name),
      ))
        details.push({
          field: `array.sweep.${key}`,
          message: `sweep parameter "${key}" is used nowhere: put {${key}} in the command's arguments (job_params) or environment (env)${def.params.length ? ` or name a parameter of ${def.name} (${def.params.map((p) => p.name).join(', ')})` : ''}; as it is, every job would run the same command`,
        });
    // One job, or each job of the array with its sweep values substituted (validated one by one;
    // the first that fails is reported, so a 10,000-job sweep gives one error, not 10,000).
    const points: Array<ArrayPoint | null> = array ? expandArray(array) : [null];
    const paramsOf: Array<Record<string, unknown>> = [];
    if (!details.length) {
      for (const point of points) {
        const { params, errors } = validateJobParams(
          def,
          point ? applyPoint(def, input.job_params, point) : input.job_params,
        );
        if (errors.length) {
          const where = point ? `array job ${point.index}${describeValues(point)}: ` : '';
          details.push(...errors.map((e) => ({ ...e, message: where + e.message })));
          break;
        }
        paramsOf.push(params);
      }
    }
    const env = this.checkEnv(input.env, requestedGpus > 0 || (input.gpu_profile ?? null) !== null, details);
    // Each job's environment with its `{param}`s replaced, held to the kernel's limit as `env` is:
    // a long sweep value would otherwise fail the launch, not the submit (the first job that fails).
    const envs = points.map((point) =>
      point ? (substitutePlaceholders(env, placeholderValues(point)) as Record<string, string>) : env,
    );
    if (array && !details.length)
      envs.some((jobEnv, i) =>
        Object.entries(jobEnv).some(([key, value]) => {
          const tooLong = execStringProblem(`env.${key}`, `${key}=${value}`);
          if (tooLong) {
            details.push({ field: `env.${key}`, message: `array job ${points[i]!.index}: ${tooLong}` });
          }
          return tooLong !== undefined;
        }),
      );
    const cwd = this.checkCwd(input.cwd, details);
    const logCap = input.log_cap_bytes;
    if (logCap !== undefined && logCap !== null && logCap !== 0 && logCap < MIN_LOG_CAP_BYTES) {
      details.push({
        field: 'log_cap_bytes',
        message: `log_cap_bytes must be 0 (no cap) or at least ${MIN_LOG_CAP_BYTES} (got ${logCap})`,
      });
    }
    await this.gpus.ready();
    const usable = this.gpus.usableCount();
    const profile = input.gpu_profile ?? null;
    if (profile !== null) this.checkGpuProfile(profile, requestedGpus, details);
    else if (requestedGpus > usable) {
      details.push({
        field: 'requested_gpus',
        message: `requested_gpus is ${requestedGpus}${(input.requested_gpus ?? null) === null ? ` (the ${def.name} default)` : ''} but this host has ${usable} usable GPU${usable === 1 ? '' : 's'}`,
      });
    }
    const startNow = options.startNow === true;
    if (startNow && (array || input.held))
      details.push({
        field: array ? 'array' : 'held',
        message: 'a job that must start now is one job, not held',
      });
    if (details.length) {
      throw validationFailed(details, 'job');
    }

    const repeated = (array?.count ?? 1) > 1;
    const nameOf = (point: ArrayPoint | null) =>
      point ? arrayJobName(input.name ?? def.name, point, repeated) : (input.name ?? null);
    // For an array, the fields of its first job (what an Idempotency-Key retry is compared with).
    const request: Pick<Job, SubmittedField> = {
      job_type: def.name,
      name: nameOf(points[0]),
      priority: input.priority,
      requested_gpus: requestedGpus,
      job_params: paramsOf[0],
      cwd,
      env: envs[0],
      kill_grace_s: input.kill_grace_s ?? null,
      depends_on: dependsOn,
      array_max_running: array?.max_running ?? null,
      time_limit_s:
        input.time_limit_s !== undefined
          ? input.time_limit_s
          : def.defaultTimeLimitS !== undefined
            ? def.defaultTimeLimitS
            : this.config.default_time_limit_seconds,
      log_cap_bytes: input.log_cap_bytes ?? null,
      preemptible: input.preemptible ?? false,
      gpu_profile: profile,
    };
    // The whole request as resolved: a field of every field of the submit (the type says so, so a
    // field added to the submit cannot be left out), what a retry with its Idempotency-Key must repeat.
    const whole: { [K in keyof SubmitJobInput]-?: unknown } = {
      job_type: def.name,
      requested_gpus: requestedGpus,
      priority: input.priority,
      // An array's as written, with its `{param}`s (its jobs' params follow from them and the sweep).
      job_params: array ? input.job_params : paramsOf[0],
      cwd,
      env,
      name: input.name ?? null,
      kill_grace_s: request.kill_grace_s,
      depends_on: dependsOn,
      // The sweep's order is the jobs' order: kept as a list of [parameter, values].
      array: array && {
        count: array.count ?? 1,
        sweep: Object.entries(array.sweep ?? {}),
        max_running: array.max_running ?? null,
      },
      time_limit_s: request.time_limit_s,
      log_cap_bytes: request.log_cap_bytes,
      preemptible: request.preemptible,
      held: input.held ?? false,
      gpu_profile: profile,
    };
    // As it is stored (JSON), so that it compares with a stored one; only a keyed submit keeps it.
    const submitRequest = idempotencyKey ? (JSON.parse(JSON.stringify(whole)) as SubmitRequest) : null;
    const record = () =>
      this.journal.record<{ job: Job; replayed: boolean }>(async (tx) => {
        // An array id stands for every job of the array (stored as those jobs, as if listed one by one).
        const dependencies = await this.expandArrayDependencies(tx, dependsOn);
        request.depends_on = dependencies.list;
        if (idempotencyKey) {
          const found = await this.jobs.findIdempotentSubmit(tx, idempotencyKey);
          if (found) {
            const { job: existing, request: original } = found;
            const differs: ErrorDetail[] = original
              ? requestDifferences(original, submitRequest!)
              : SUBMITTED_FIELDS.filter((f) => !isDeepStrictEqual(existing[f], request[f])).map((field) => ({
                  field,
                  message: `${field} differs from the original request`,
                }));
            // A retry must be the same request; anything else is a client bug, not a retry.
            if (differs.length)
              throw new DomainError(
                'IDEMPOTENCY_KEY_REUSED',
                `Idempotency-Key "${idempotencyKey}" was used for ${existing.id} with a different request (${differs.map((d) => d.field).join(', ')})`,
                differs,
              );
            return { result: { job: existing, replayed: true }, events: [] };
          }
        }
        if (def.servicePortParam) {
          const port = paramsOf[0][def.servicePortParam];
          if (this.config.port !== 0 && Number(port) === this.config.port) {
            throw new DomainError('PORT_IN_USE', `port ${String(port)} is this Trainyard server's own`, [
              {
                field: `job_params.${def.servicePortParam}`,
                message: `port ${String(port)} is the Trainyard server's`,
              },
            ]);
          }
          for (const other of await this.jobs.withStatus(UNFINISHED_STATUSES, tx)) {
            const otherDef = this.registry.get(other.job_type);
            if (otherDef?.servicePortParam && other.job_params[otherDef.servicePortParam] === port) {
              throw new DomainError(
                'PORT_IN_USE',
                `port ${String(port)} is already used by ${other.id} (${other.status})`,
                [
                  {
                    field: `job_params.${def.servicePortParam}`,
                    message: `port ${String(port)} is taken by ${other.id}`,
                  },
                ],
              );
            }
          }
        }
        const now = this.clock.now();
        const arrayId = array ? newArrayId(now) : null;
        const jobs: Job[] = points.map((point, i) =>
          queuedJob({
            ...request,
            id: newQueueId(now),
            name: nameOf(point),
            job_params: paramsOf[i],
            env: envs[i],
            submitted_at: new Date(now).toISOString(),
            // Unique per job: the array's first job carries it (a retry finds the array through it).
            idempotency_key: i === 0 ? (idempotencyKey ?? null) : null,
            array_id: arrayId,
            array_index: point ? point.index : null,
            retry_of: null,
          }),
        );
        // Submitted held: queued, then held at once (two entries, one commit); it never starts on submit.
        if (input.held) for (const job of jobs) Object.assign(job, { held: true, held_at: job.submitted_at });
        await this.checkDependencyGraph(tx, jobs[0].id, dependencies);
        // One transaction: the whole array is queued, or none of it.
        // The job that carries the key keeps the whole request.
        const keptRequest = (job: Job) => (job.idempotency_key === null ? null : submitRequest);
        for (const job of jobs) {
          await this.jobs.insert(tx, job, keptRequest(job));
          this.queueWait.submitted(job.id);
        }
        // A lone job that may start at once is claimed in this same commit (no scheduling pass first);
        // one that must start now and cannot throws here, and nothing is queued.
        const claim = jobs.length === 1 ? await this.startOnSubmit.claim(tx, jobs[0], startNow) : null;
        return {
          result: { job: claim?.job ?? jobs[0], replayed: false },
          events: [
            ...jobs.flatMap((job) => [
              new JobQueuedEvent(job, keptRequest(job)),
              ...(job.held ? [new JobHeldEvent({ queue_id: job.id, held_at: job.submitted_at })] : []),
            ]),
            ...(claim?.events ?? []),
          ],
          // Launched right after the commit, before the answer is written.
          afterCommit: claim ? () => claim.start() : undefined,
        };
      });
    // A job that must start now is placed and claimed in a gap between scheduling passes (see
    // StartOnSubmit.betweenPasses); any other submit goes ahead at once.
    return startNow ? this.startOnSubmit.betweenPasses(record) : record();
  }

  /**
   * A dependency whose condition can no longer come true — `after_ok` on a job that already failed —
   * is refused (400 naming it): queued, the job would only be aborted a moment later, while the
   * submit had answered that it was queued.
   */
  private async refuseUnmeetable(tx: Tx, dependsOn: JobDependency[], from: number[]): Promise<void> {
    const targets = await this.jobs.dependencyTargets(
      dependsOn.map((d) => d.queue_id),
      tx,
    );
    const details: ErrorDetail[] = [];
    dependsOn.forEach((d, i) => {
      const state = evaluateDependency(d.condition, targets.get(d.queue_id) ?? null);
      if (typeof state === 'object')
        details.push({
          field: `depends_on[${from[i]}].queue_id`,
          message: `${d.queue_id} (${d.condition}) can no longer be met: it ${state.never}`,
        });
    });
    if (details.length)
      throw new DomainError(
        'VALIDATION_FAILED',
        `Invalid job: ${details.map((d) => d.message).join('; ')}`,
        details,
      );
  }

  /** Entries well-formed (fields `depends_on[i].queue_id` / `.condition`), no id twice; condition defaults to after_ok. */
  private checkDependsOn(
    input: Array<{ queue_id: unknown; condition?: unknown }> | undefined,
    details: ErrorDetail[],
  ): JobDependency[] {
    const out: JobDependency[] = [];
    const seen = new Set<string>();
    (input ?? []).forEach((entry, i) => {
      const field = `depends_on[${i}]`;
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
        details.push({ field, message: `${field} must be an object {queue_id, condition}` });
        return;
      }
      // A misspelt `conditon` must not leave the condition at its default (after_ok).
      const unknown = unknownFields(entry, ['queue_id', 'condition'], field);
      if (unknown.length) {
        details.push(...unknown);
        return;
      }
      const { queue_id: id, condition = 'after_ok' } = entry;
      if (typeof id !== 'string' || !(QUEUE_ID_PATTERN.test(id) || ARRAY_ID_PATTERN.test(id))) {
        details.push({
          field: `${field}.queue_id`,
          message: `${field}.queue_id must look like q_<13 digits>_<8 hex> (a job) or a_<13 digits>_<8 hex> (every job of an array)`,
        });
        return;
      }
      if (!DEPENDENCY_CONDITIONS.includes(condition as DependencyCondition)) {
        details.push({
          field: `${field}.condition`,
          message: `${field}.condition must be one of ${DEPENDENCY_CONDITIONS.join(', ')}`,
        });
        return;
      }
      if (seen.has(id)) {
        details.push({ field: `${field}.queue_id`, message: `${field}.queue_id: ${id} is listed twice` });
        return;
      }
      seen.add(id);
      out.push({ queue_id: id, condition: condition as DependencyCondition });
    });
    return out;
  }

  /** The `array` object's shape (numbers in range, sweep lists), then its size (≤ MAX_ARRAY_JOBS). */
  private checkArray(input: Record<string, unknown>, details: ErrorDetail[]): ArraySpec | null {
    const before = details.length;
    details.push(...unknownFields(input, ['count', 'sweep', 'max_running'], 'array'));
    // null is "not given", as for the submit's own optional fields (a record says null for none).
    const given = (v: unknown) => (v === null ? undefined : v);
    const [count, sweep, max_running] = [given(input.count), given(input.sweep), given(input.max_running)];
    const isInt = (v: unknown, min: number, max: number) =>
      typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
    if (count !== undefined && !isInt(count, 1, MAX_ARRAY_JOBS))
      details.push({
        field: 'array.count',
        message: `array.count must be a whole number from 1 to ${MAX_ARRAY_JOBS}`,
      });
    if (max_running !== undefined && !isInt(max_running, 1, MAX_ARRAY_JOBS))
      details.push({
        field: 'array.max_running',
        message: `array.max_running must be a whole number from 1 to ${MAX_ARRAY_JOBS}`,
      });
    if (sweep !== undefined && (typeof sweep !== 'object' || Array.isArray(sweep)))
      details.push({
        field: 'array.sweep',
        message: 'array.sweep must be an object of lists: {"lr": [0.001, 0.0001]}',
      });
    if (details.length > before) return null;
    const spec: ArraySpec = {
      count: count as number | undefined,
      sweep: sweep as Record<string, SweepValue[]> | undefined,
      max_running: max_running as number | undefined,
    };
    return checkArraySpec(spec, details) > 0 ? spec : null;
  }

  /**
   * `dependsOn` with each array id replaced by the array's jobs (by index, same condition); `from[k]`
   * is the index in `dependsOn` that entry k came from (for error fields). 400 naming
   * `depends_on[i].queue_id` for an unknown array, a job listed twice (itself and in an array), or more
   * than MAX_DEPENDENCIES in all.
   */
  private async expandArrayDependencies(
    tx: Tx,
    dependsOn: JobDependency[],
  ): Promise<{ list: JobDependency[]; from: number[] }> {
    if (!dependsOn.some((d) => ARRAY_ID_PATTERN.test(d.queue_id)))
      return { list: dependsOn, from: dependsOn.map((_, i) => i) };
    const list: JobDependency[] = [];
    const from: number[] = [];
    const listedAt = new Map<string, number>();
    const refuse = (i: number, message: string): never => {
      throw new DomainError('VALIDATION_FAILED', `Invalid job: ${message}`, [
        { field: `depends_on[${i}].queue_id`, message },
      ]);
    };
    for (const [i, dep] of dependsOn.entries()) {
      const ids = ARRAY_ID_PATTERN.test(dep.queue_id)
        ? await this.jobs.arrayJobIds(dep.queue_id, tx)
        : [dep.queue_id];
      if (!ids.length) refuse(i, `no array ${dep.queue_id}`);
      for (const id of ids) {
        const earlier = listedAt.get(id);
        if (earlier !== undefined)
          refuse(i, `${id} is listed twice (depends_on[${earlier}] and depends_on[${i}])`);
        listedAt.set(id, i);
        list.push({ queue_id: id, condition: dep.condition });
        from.push(i);
      }
      if (list.length > MAX_DEPENDENCIES)
        refuse(i, `at most ${MAX_DEPENDENCIES} dependencies in all (an array counts each of its jobs)`);
    }
    return { list, from };
  }

  /**
   * Every dependency exists (else 400 naming `depends_on[i].queue_id`), and the new job closes no cycle
   * through the stored ones. A fresh id cannot be depended on yet, so a cycle means corrupt data: still
   * checked, as the graph walk also guards the dispatcher against one.
   */
  private async checkDependencyGraph(
    tx: Tx,
    newId: string,
    { list: dependsOn, from }: { list: JobDependency[]; from: number[] },
  ): Promise<void> {
    if (!dependsOn.length) return;
    const edges = new Map<string, string[]>([[newId, dependsOn.map((d) => d.queue_id)]]);
    let frontier = dependsOn.map((d) => d.queue_id);
    let first = true;
    while (frontier.length) {
      const found = await this.jobs.dependenciesOf(frontier, tx);
      if (first) {
        const missing = dependsOn.map((d, i) => [d, i] as const).filter(([d]) => !found.has(d.queue_id));
        if (missing.length)
          throw new DomainError(
            'VALIDATION_FAILED',
            `Invalid job: ${missing.map(([d]) => `no job ${d.queue_id} to depend on`).join('; ')}`,
            missing.map(([d, i]) => ({
              field: `depends_on[${from[i]}].queue_id`,
              message: `no job ${d.queue_id}`,
            })),
          );
        await this.refuseUnmeetable(tx, dependsOn, from);
        first = false;
      }
      const next: string[] = [];
      for (const [id, deps] of found) {
        edges.set(
          id,
          deps.map((d) => d.queue_id),
        );
        for (const d of deps) if (!edges.has(d.queue_id)) next.push(d.queue_id);
      }
      frontier = [...new Set(next)];
    }
    const cycle = findCycle(newId, (id) => edges.get(id) ?? []);
    if (cycle) {
      const i = dependsOn.findIndex((d) => d.queue_id === cycle[1]);
      throw new DomainError(
        'VALIDATION_FAILED',
        `Invalid job: depends_on makes a cycle ${cycle.join(' → ')}`,
        [{ field: `depends_on[${from[i]}].queue_id`, message: `${cycle[1]} leads back to this job` }],
      );
    }
  }

  /** A gpu_profile must be one this host's MIG devices have, with 1 ≤ requested_gpus ≤ how many it has. */
  private checkGpuProfile(profile: string, requestedGpus: number, details: ErrorDetail[]): void {
    const known = this.gpus.migProfiles();
    if (!known.includes(profile)) {
      details.push({
        field: 'gpu_profile',
        message: known.length
          ? `no MIG device of profile ${profile} on this host (it has ${known.join(', ')})`
          : `no MIG device of profile ${profile} on this host (no GPU is in MIG mode)`,
      });
      return;
    }
    const count = this.gpus.placementMigDevices().filter((d) => d.profile === profile).length;
    if (requestedGpus < 1 || requestedGpus > count) {
      details.push({
        field: 'requested_gpus',
        message: `with gpu_profile ${profile}, requested_gpus counts MIG devices: 1 to ${count} (got ${requestedGpus})`,
      });
    }
  }

  /** `placesGpus`: the job asks for GPUs (see {@link reservedEnvProblem}). */
  private checkEnv(
    env: Record<string, unknown> | undefined,
    placesGpus: boolean,
    details: ErrorDetail[],
  ): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(env ?? {})) {
      const reserved = reservedEnvProblem(key, placesGpus);
      if (!ENV_NAME.test(key))
        details.push({ field: `env.${key}`, message: `env name "${key}" is not a valid variable name` });
      else if (reserved) details.push({ field: `env.${key}`, message: reserved });
      else if (typeof value !== 'string')
        details.push({ field: `env.${key}`, message: `env.${key} must be a string` });
      else if (value.includes('\0'))
        details.push({ field: `env.${key}`, message: `env.${key} must not contain NUL bytes` });
      else {
        const tooLong = execStringProblem(`env.${key}`, `${key}=${value}`);
        if (tooLong) details.push({ field: `env.${key}`, message: tooLong });
        else out[key] = value;
      }
    }
    return out;
  }

  private checkCwd(cwd: string | null | undefined, details: ErrorDetail[]): string {
    if (cwd === undefined || cwd === null) return homedir();
    if (!isAbsolute(cwd)) {
      details.push({ field: 'cwd', message: 'cwd must be an absolute path' });
      return cwd;
    }
    try {
      if (!statSync(cwd).isDirectory())
        details.push({ field: 'cwd', message: `cwd ${cwd} is not a directory` });
    } catch {
      details.push({ field: 'cwd', message: `cwd ${cwd} does not exist` });
    }
    return cwd;
  }
}

/**
 * One array job's params: `{param}` (and `{index}`) replaced in every string, and a job-type
 * parameter named like a sweep key set to its value (a string value, as the CLI sends, is read as
 * a number or boolean when the parameter is one).
 */
function applyPoint(def: JobTypeDefinition, jobParams: unknown, point: ArrayPoint): unknown {
  const params = substitutePlaceholders(jobParams, placeholderValues(point));
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return params;
  const out = { ...(params as Record<string, unknown>) };
  for (const schema of def.params) {
    if (!Object.prototype.hasOwnProperty.call(point.values, schema.name)) continue;
    const value = point.values[schema.name];
    const numeric = schema.type === 'integer' || schema.type === 'number';
    if (typeof value === 'string' && numeric && value.trim() !== '' && Number.isFinite(Number(value)))
      out[schema.name] = Number(value);
    else if (
      typeof value === 'string' &&
      schema.type === 'boolean' &&
      (value === 'true' || value === 'false')
    )
      out[schema.name] = value === 'true';
    else out[schema.name] = value;
  }
  return out;
}

/**
 * Where a retry differs from the original request: a detail per field, by its path down through
 * objects (`job_params.argv`, `array.count`), saying what each request had.
 */
export function requestDifferences(original: unknown, retry: unknown, field = ''): ErrorDetail[] {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(original) && isObject(retry))
    return [...new Set([...Object.keys(original), ...Object.keys(retry)])].flatMap((key) =>
      requestDifferences(original[key], retry[key], field ? `${field}.${key}` : key),
    );
  if (isDeepStrictEqual(original, retry)) return [];
  const shown = (v: unknown) => {
    const text = v === undefined ? 'nothing' : JSON.stringify(v);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  };
  return [
    {
      field,
      message: `${field} differs from the original request: ${shown(retry)} here, ${shown(original)} there`,
    },
  ];
}

function describeValues(point: ArrayPoint): string {
  const values = Object.entries(point.values).map(([k, v]) => `${k}=${String(v)}`);
  return values.length ? ` (${values.join(' ')})` : '';
}
