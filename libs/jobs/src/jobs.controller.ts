import { Controller, Delete, Get, Header, HttpCode, Logger, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ModuleRef } from '@nestjs/core';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors, DomainError } from '@trainyard/core';
import { JobRepository } from './infrastructure/job.repository';
import type { Job } from './job';
import { isActive } from './job-lifecycle';
import { JobDto, JobPageDto, TrainerStatusReplyDto } from './job.dto';
import { toJobDto } from './job.mapper';
import {
  CleanupJobsQueryDto,
  DeletedJobsDto,
  DependentDto,
  GcResultDto,
  JobControlParamDto,
  JobControlResponseDto,
  type JobStatusFilter,
  ListJobsQueryDto,
  QueueIdParamDto,
  statusFilterOf,
} from './jobs.dto';
import { JobLogs, noOutputError } from './job-logs';
import { readTtyTail, TtyLogMissingError } from './tty';
import { TerminateJobCommand } from './control/terminate-job.command';
import { callTrainer, readTrainerEndpoint } from './control/trainer-control';
import { TrainerStatusPoller } from './control/trainer-status';
import { DeleteJobsCommand } from './commands/delete-jobs.command';
import { decodeJobListCursor, encodeJobListCursor } from './job-list-cursor';
import { JOB_TYPE_NAMES, JobTypeNames, unknownJobType } from './job-type-names';
import { PendingReasons } from './pending-reasons';
import { KillDeadlines } from './kill-deadlines';
import { EffectivePriorities } from './effective-priorities';

/** Sorts that read A→Z by default; the rest (times, priority, runtime) start with the highest. */
const TEXT_SORTS = new Set(['name', 'status', 'job_type']);

@ApiTags('jobs')
@Controller('jobs')
export class JobsController {
  private readonly logger = new Logger('Jobs');

  constructor(
    private readonly jobs: JobRepository,
    private readonly commandBus: CommandBus,
    private readonly logs: JobLogs,
    private readonly moduleRef: ModuleRef,
    private readonly trainerStatus: TrainerStatusPoller,
    private readonly reasons: PendingReasons,
    private readonly killDeadlines: KillDeadlines,
    private readonly effective: EffectivePriorities,
  ) {}

  /**
   * Jobs matching the filters (status, type, text, submit time), active first then newest, or
   * sorted by a column; `total` counts every match. 400 naming the field on a bad parameter, and
   * JOB_TYPE_UNKNOWN for a `job_type` that is neither configured nor held by a stored job.
   */
  @Get()
  @ApiErrors(400, 401)
  async listJobs(@Query() query: ListJobsQueryDto): Promise<JobPageDto> {
    const limit = query.limit ?? 100;
    const by = query.sort ?? (query.order ? 'submitted_at' : undefined);
    const sort = by && {
      by,
      order: query.order ?? (TEXT_SORTS.has(by) ? ('asc' as const) : ('desc' as const)),
    };
    const after = query.cursor === undefined ? undefined : decodeJobListCursor(query.cursor, sort);
    const { items, total, next } = await this.jobs.list({
      ...(query.status ? statusFilterOf(query.status.split(',') as JobStatusFilter[]) : {}),
      jobType: query.job_type,
      arrayId: query.array_id,
      text: query.q,
      // Stored as toISOString(), so bounds in that form compare as text.
      submittedAfter: query.submitted_after && new Date(query.submitted_after).toISOString(),
      submittedBefore: query.submitted_before && new Date(query.submitted_before).toISOString(),
      sort,
      limit,
      after,
    });
    if (query.job_type !== undefined && total === 0) {
      // Looked up app-wide: the provider lives in the queue module, which imports this one.
      const known = this.moduleRef.get<JobTypeNames>(JOB_TYPE_NAMES, { strict: false })();
      if (!known.includes(query.job_type)) throw unknownJobType(query.job_type, known);
    }
    const now = Date.now();
    const aged = await this.effective.of(items, now);
    return {
      items: items.map((j) => this.toDto(j, now, aged)),
      total,
      next_cursor: next && encodeJobListCursor(next),
    };
  }

  /**
   * Removes every finished job (done, failed, aborted) and its log — or those that ended before
   * `ended_before` and/or have one of `status` — except those queued jobs still depend on (listed in
   * `kept`; a later cleanup removes them once their dependents have started).
   */
  @Post('cleanup')
  @HttpCode(200)
  @ApiErrors(400, 401, 403)
  async cleanupJobs(@Query() query: CleanupJobsQueryDto): Promise<DeletedJobsDto> {
    return this.commandBus.execute(
      new DeleteJobsCommand(null, {
        endedBefore: query.ended_before && new Date(query.ended_before).toISOString(),
        statuses: query.status?.split(','),
      }),
    );
  }

  /** Removes log files older than 7 days that belong to no job. */
  @Post('gc')
  @HttpCode(200)
  @ApiErrors(401, 403)
  async gcJobLogs(): Promise<GcResultDto> {
    const { removed, kept, keptOrphans } = await this.logs.gc();
    return { removed, kept, kept_orphans: keptOrphans };
  }

  /** One job. */
  @Get(':queue_id')
  @ApiErrors(400, 401, 404)
  async getJob(@Param() params: QueueIdParamDto): Promise<JobDto> {
    const job = await this.mustGet(params.queue_id);
    const now = Date.now();
    return this.toDto(job, now, await this.effective.of([job], now));
  }

  /** Jobs that list this one in their depends_on (oldest first), with the condition they wait for. */
  @Get(':queue_id/dependents')
  @ApiErrors(400, 401, 404)
  async getJobDependents(@Param() params: QueueIdParamDto): Promise<DependentDto[]> {
    await this.mustGet(params.queue_id);
    return (await this.jobs.dependents(params.queue_id)).map((j) => ({
      queue_id: j.id,
      name: j.name,
      status: j.status,
      held: j.held,
      condition: j.depends_on.find((d) => d.queue_id === params.queue_id)!.condition,
    }));
  }

  /** Removes a finished job and its log (409 while it is queued or running, or queued jobs depend on it). */
  @Delete(':queue_id')
  @ApiErrors(400, 401, 403, 404, 409)
  async deleteJob(@Param() params: QueueIdParamDto): Promise<DeletedJobsDto> {
    return this.commandBus.execute(new DeleteJobsCommand(params.queue_id));
  }

  /** The captured terminal output: at most the last 32 MiB, starting at a line boundary. */
  @Get(':queue_id/tty')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Raw terminal bytes (ANSI escapes included)', schema: { type: 'string' } })
  @ApiErrors(400, 401, 404)
  @Header('Cache-Control', 'no-store')
  async getJobLog(@Param() params: QueueIdParamDto, @Res() reply: FastifyReply): Promise<void> {
    const job = await this.mustGet(params.queue_id);
    try {
      const tail = await readTtyTail(this.logs.files.tty(job.id));
      await reply
        .header('Content-Type', 'text/plain; charset=utf-8')
        .header('X-Trainyard-Log-Truncated', String(tail.truncated))
        .header('X-Trainyard-Log-Size', String(tail.size))
        .send(tail.data);
    } catch (err) {
      if (err instanceof TtyLogMissingError) throw noOutputError(job);
      throw err;
    }
  }

  /**
   * Controls a running job: stop / save / save-stop via its trainer (stop and save-stop are
   * recorded as `trainer_stop` first); abort via the trainer when it has published an endpoint
   * (immediate stop, no checkpoint), else like kill; kill: SIGTERM, SIGKILL after the grace period;
   * force-kill: SIGKILL. kill, abort and force-kill are recorded (user_abort / user_kill) before any
   * signal is sent, so the job ends `aborted` even across a server restart.
   */
  @Post(':queue_id/control/:action')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404, 409, 502, 504)
  async controlJob(@Param() params: JobControlParamDto): Promise<JobControlResponseDto> {
    const job = await this.mustGet(params.queue_id);
    if (!isActive(job.status)) {
      throw new DomainError(
        'JOB_NOT_RUNNING',
        job.status === 'queued'
          ? `${job.id} is queued ${job.restart_count > 0 ? `for attempt ${job.restart_count + 1} (requeued after preemption)` : 'and has not started'}: remove it from the queue instead (DELETE /api/queue/${job.id}; trainyard sched cancel)`
          : `${job.id} has ended (${job.status})`,
      );
    }
    const { action } = params;
    const controlDir = this.logs.files.controlDir(job.id);
    const viaTrainer =
      action === 'stop' ||
      action === 'save' ||
      action === 'save-stop' ||
      (action === 'abort' && readTrainerEndpoint(controlDir) !== null);
    if (viaTrainer && action === 'abort') {
      // Recorded first, so that how the job ends is known whatever happens next.
      await this.commandBus.execute(new TerminateJobCommand(job.id, 'user_abort', false));
      let answer: unknown;
      try {
        answer = await callTrainer(controlDir, 'POST', '/control', { action });
      } catch (err) {
        // Abort means now: a trainer that cannot be reached is signalled as a job without one is.
        this.logger.warn(
          `${job.id}: its trainer did not take the abort (${(err as Error).message}); sending SIGTERM`,
        );
        const result = await this.commandBus.execute(new TerminateJobCommand(job.id, 'user_abort'));
        return { queue_id: job.id, action, trainer_error: (err as Error).message, ...result };
      }
      const result = await this.commandBus.execute(new TerminateJobCommand(job.id, 'user_abort', 'trainer'));
      return { queue_id: job.id, action, trainer_response: answer, ...result };
    }
    if (viaTrainer) {
      const answer = await callTrainer(controlDir, 'POST', '/control', { action });
      if (action === 'stop' || action === 'save-stop')
        await this.commandBus.execute(new TerminateJobCommand(job.id, 'trainer_stop', false));
      return { queue_id: job.id, action, trainer_response: answer };
    }
    const result = await this.commandBus.execute(
      new TerminateJobCommand(job.id, action === 'force-kill' ? 'user_kill' : 'user_abort'),
    );
    return { queue_id: job.id, action, ...result };
  }

  /**
   * The last status its trainer reported (step, max_steps, loss, lr, ...; polled every 2 s while the
   * job runs and its trainer has published a control endpoint), or `{available: false}`.
   */
  @Get(':queue_id/trainer-status')
  @ApiErrors(400, 401, 404)
  async getTrainerStatus(@Param() params: QueueIdParamDto): Promise<TrainerStatusReplyDto> {
    const status = this.runningTrainerStatus(await this.mustGet(params.queue_id));
    return status ? { available: true, status } : { available: false };
  }

  private toDto(job: Job, now: number, aged: ReadonlyMap<string, number>): JobDto {
    const dto = toJobDto(job, now, this.hasTrainerEndpoint(job));
    const status = this.runningTrainerStatus(job);
    if (status) dto.trainer_status = status;
    if (job.status === 'queued') dto.pending_reason = this.reasons.get(job);
    const effective = aged.get(job.id);
    if (effective !== undefined) dto.effective_priority = effective;
    if (job.status === 'terminating') dto.kill_at = this.killDeadlines.killAt(job.id);
    return dto;
  }

  /** Only a running job's: one that ended during a poll round may still have an entry. */
  private runningTrainerStatus(job: Job) {
    return job.status === 'running' ? this.trainerStatus.get(job.id) : undefined;
  }

  private hasTrainerEndpoint(job: Job): boolean {
    return job.status === 'running' && readTrainerEndpoint(this.logs.files.controlDir(job.id)) !== null;
  }

  private async mustGet(id: string) {
    const job = await this.jobs.get(id);
    if (!job) throw new DomainError('JOB_NOT_FOUND', `no job ${id}`);
    return job;
  }
}
