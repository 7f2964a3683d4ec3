import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  Clock,
  DomainError,
  ErrorDetail,
  newQueueId,
  validationFailed,
  SERVER_CONFIG,
  ServerConfig,
} from '@trainyard/core';
import { Journal } from '@trainyard/journal';
import { GpuInventory } from '@trainyard/gpus';
import {
  Job,
  JobQueuedEvent,
  JobRepository,
  queuedJob,
  QueueWaitTimer,
  UNFINISHED_STATUSES,
  unknownJobType,
} from '@trainyard/jobs';
import { JobTypeRegistry, validateJobParams } from '../job-types';
import { SubmitJobCommand } from './submit-job.command';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What a submit decides; a retried Idempotency-Key must repeat all of it. */
const SUBMITTED_FIELDS = [
  'job_type',
  'name',
  'priority',
  'requested_gpus',
  'job_params',
  'cwd',
  'env',
  'kill_grace_s',
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
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  async execute({ input, idempotencyKey }: SubmitJobCommand): Promise<{ job: Job; replayed: boolean }> {
    const def = this.registry.get(input.job_type);
    if (!def) {
      const known = this.registry.list().map((t) => t.name);
      throw unknownJobType(input.job_type, known);
    }
    const requestedGpus = input.requested_gpus ?? def.defaultGpus;
    const { params, errors } = validateJobParams(def, input.job_params);
    const details: ErrorDetail[] = [...errors];
    const env = this.checkEnv(input.env, details);
    const cwd = this.checkCwd(input.cwd, details);
    await this.gpus.ready();
    const usable = this.gpus.usableCount();
    if (requestedGpus > usable) {
      details.push({
        field: 'requested_gpus',
        message: `requested_gpus is ${requestedGpus}${input.requested_gpus === undefined ? ` (the ${def.name} default)` : ''} but this host has ${usable} usable GPU${usable === 1 ? '' : 's'}`,
      });
    }
    if (details.length) {
      throw validationFailed(details, 'job');
    }

    const request: Pick<Job, SubmittedField> = {
      job_type: def.name,
      name: input.name ?? null,
      priority: input.priority,
      requested_gpus: requestedGpus,
      job_params: params,
      cwd,
      env,
      kill_grace_s: input.kill_grace_s ?? null,
    };
    return this.journal.record<{ job: Job; replayed: boolean }>(async (tx) => {
      if (idempotencyKey) {
        const existing = await this.jobs.findByIdempotencyKey(tx, idempotencyKey);
        if (existing) {
          const differs = SUBMITTED_FIELDS.filter((f) => !isDeepStrictEqual(existing[f], request[f]));
          // A retry must be the same request; anything else is a client bug, not a retry.
          if (differs.length)
            throw new DomainError(
              'IDEMPOTENCY_KEY_REUSED',
              `Idempotency-Key "${idempotencyKey}" was used for ${existing.id} with a different request`,
              differs.map((field) => ({ field, message: `${field} differs from the original request` })),
            );
          return { result: { job: existing, replayed: true }, events: [] };
        }
      }
      if (def.servicePortParam) {
        const port = params[def.servicePortParam];
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
      const job: Job = queuedJob({
        ...request,
        id: newQueueId(now),
        submitted_at: new Date(now).toISOString(),
        idempotency_key: idempotencyKey ?? null,
      });
      await this.jobs.insert(tx, job);
      this.queueWait.submitted(job.id);
      return {
        result: { job, replayed: false },
        events: [new JobQueuedEvent(job)],
      };
    });
  }

  private checkEnv(env: Record<string, unknown> | undefined, details: ErrorDetail[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(env ?? {})) {
      if (!ENV_NAME.test(key))
        details.push({ field: `env.${key}`, message: `env name "${key}" is not a valid variable name` });
      else if (typeof value !== 'string')
        details.push({ field: `env.${key}`, message: `env.${key} must be a string` });
      else if (value.includes('\0'))
        details.push({ field: `env.${key}`, message: `env.${key} must not contain NUL bytes` });
      else out[key] = value;
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
