import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import { ApiErrors, DomainError } from '@trainyard/core';
import { isTerminal, Job, JOB_STATUSES, JobRepository, JobStatus } from '@trainyard/jobs';
import { ArrayDto, ArrayIdParamDto, CancelArrayResponseDto, HoldArrayResponseDto } from './arrays.dto';
import { CancelArrayCommand, RetryArrayCommand } from './commands/array.commands';
import { HoldArrayCommand } from './commands/hold-queue-item.command';

/** Job arrays (POST /api/queue with `array`) as a unit. Their jobs are in GET /api/jobs?array_id=. */
@ApiTags('queue')
@Controller('arrays')
export class ArraysController {
  constructor(
    private readonly jobs: JobRepository,
    private readonly commandBus: CommandBus,
  ) {}

  /** The array's jobs by index, counts per status and progress (finished/total). 404 when unknown. */
  @Get(':array_id')
  @ApiErrors(400, 401, 404)
  async getArray(@Param() params: ArrayIdParamDto): Promise<ArrayDto> {
    const jobs = await this.jobs.arrayJobs(params.array_id);
    if (!jobs.length) throw new DomainError('ARRAY_NOT_FOUND', `no array ${params.array_id}`);
    return summarizeArray(params.array_id, jobs, await this.jobs.retriesOf(jobs.map((j) => j.id)));
  }

  /**
   * Removes its queued jobs and stops its active ones (user_abort); finished ones stay. 409 when
   * every job has already ended (nothing to cancel).
   */
  @Post(':array_id/cancel')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404, 409)
  async cancelArray(@Param() params: ArrayIdParamDto): Promise<CancelArrayResponseDto> {
    const result = await this.commandBus.execute(new CancelArrayCommand(params.array_id));
    return { array_id: params.array_id, ...result };
  }

  /**
   * Holds every queued job of the array (as POST /api/queue/{id}/hold each): none of them starts until
   * released; its active and finished jobs are left as they are. 404 when unknown; 409 JOB_NOT_QUEUED
   * when none of its jobs is queued any more.
   */
  @Post(':array_id/hold')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404, 409)
  async holdArray(@Param() params: ArrayIdParamDto): Promise<HoldArrayResponseDto> {
    return {
      array_id: params.array_id,
      changed: await this.commandBus.execute(new HoldArrayCommand(params.array_id, true)),
    };
  }

  /**
   * Releases every held queued job of the array (as POST /api/queue/{id}/release each). 404 when
   * unknown; 409 JOB_NOT_QUEUED when none of its jobs is queued any more.
   */
  @Post(':array_id/release')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404, 409)
  async releaseArray(@Param() params: ArrayIdParamDto): Promise<HoldArrayResponseDto> {
    return {
      array_id: params.array_id,
      changed: await this.commandBus.execute(new HoldArrayCommand(params.array_id, false)),
    };
  }

  /**
   * Retries its failed and aborted jobs as a NEW array (the old one keeps its history): each copy keeps
   * its index, parameters and name, without dependencies. 409 when none failed.
   */
  @Post(':array_id/retry')
  @HttpCode(201)
  @ApiErrors(400, 401, 403, 404, 409)
  async retryArray(@Param() params: ArrayIdParamDto): Promise<ArrayDto> {
    const newId = await this.commandBus.execute(new RetryArrayCommand(params.array_id));
    return summarizeArray(newId, await this.jobs.arrayJobs(newId), new Map());
  }
}

/** `retries`: job id → the job that retries it (JobRepository.retriesOf). */
export function summarizeArray(
  arrayId: string,
  jobs: readonly Job[],
  retries: ReadonlyMap<string, { queue_id: string; array_id: string | null }>,
): ArrayDto {
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  for (const job of jobs) counts[job.status]++;
  const failed = jobs.filter((j) => j.status === 'failed' || j.status === 'aborted');
  const retriedAs = [...retries.values()].map((r) => r.array_id).filter((a): a is string => a !== null);
  return {
    array_id: arrayId,
    total: jobs.length,
    finished: jobs.filter((j) => isTerminal(j.status)).length,
    counts,
    max_running: jobs[0]?.array_max_running ?? null,
    jobs: jobs.map((j) => ({
      queue_id: j.id,
      array_index: j.array_index ?? 0,
      name: j.name,
      status: j.status,
      held: j.held,
      exit_code: j.exit_code,
      started_at: j.started_at,
      ended_at: j.ended_at,
      termination_reason: j.termination_reason,
      retried_as: retries.get(j.id)?.queue_id ?? null,
    })),
    retryable: failed.filter((j) => !retries.has(j.id)).length,
    // Ordered by the copies' submit order (retriesOf reads them so): the oldest retry first.
    retried_as: [...new Set(retriedAs)],
  };
}
