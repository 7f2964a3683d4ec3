import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CommandBus } from '@nestjs/cqrs';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { ApiErrors, DomainError } from '@trainyard/core';
import {
  decodeQueueCursor,
  EffectivePriorities,
  encodeQueueCursor,
  JobRepository,
  PendingReasons,
  QueueIdParamDto,
  toJobDto,
} from '@trainyard/jobs';
import { JobTypeRegistry, describeJobType } from './job-types';
import {
  ChangeQueuePriorityRequestDto,
  JobTypeDto,
  QueueItemDto,
  QueuePageDto,
  SubmitJobRequestDto,
} from './queue.dto';
import { SubmitJobCommand } from './commands/submit-job.command';
import { CancelQueueItemCommand } from './commands/cancel-queue-item.command';
import { ChangeQueuePriorityCommand } from './commands/change-queue-priority.command';
import { HoldQueueItemCommand } from './commands/hold-queue-item.command';
import { CancelQueueItemResponseDto, ListQueueQueryDto } from './queue-query.dto';

@ApiTags('queue')
@Controller()
export class QueueController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly jobs: JobRepository,
    private readonly reasons: PendingReasons,
    private readonly registry: JobTypeRegistry,
    private readonly effective: EffectivePriorities,
  ) {}

  /**
   * Queues a job. It is answered `starting` (its GPUs and `started_at` set) when it was started in
   * the same commit — nothing queued before it, the scheduler on, no dependency, and it fits now —
   * else `queued`. With an `Idempotency-Key` header, a retry returns the original item instead of a
   * duplicate; the same key with a different request is refused (422 `IDEMPOTENCY_KEY_REUSED`).
   */
  @Post('queue')
  @HttpCode(201)
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Client-chosen key (≤ 128 chars) that makes retries safe; reuse with another request → 422',
  })
  @ApiErrors(400, 401, 403, 409, 422, 503, 507)
  async submitJob(@Body() body: SubmitJobRequestDto, @Req() request: FastifyRequest): Promise<QueueItemDto> {
    // Read from the request rather than @Headers(): that decorator documents the header as required.
    const header = request.headers['idempotency-key'];
    const idempotencyKey = Array.isArray(header) ? header[0] : header;
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 128)) {
      throw new DomainError('VALIDATION_FAILED', 'Idempotency-Key must be 1..128 characters', [
        { field: 'Idempotency-Key', message: 'Idempotency-Key must be 1..128 characters' },
      ]);
    }
    const { job } = await this.commandBus.execute(
      new SubmitJobCommand(
        { ...body, priority: body.priority ?? 0, array: body.array as Record<string, unknown> | undefined },
        idempotencyKey,
      ),
    );
    return { ...toJobDto(job), pending_reason: this.reasons.get(job) };
  }

  /**
   * Queued items, highest priority first then oldest, each with the reason it is still pending.
   *
   * With --priority-aging each also has its `effective_priority`, what the scheduler places by; the
   * list stays in `priority` order.
   */
  @Get('queue')
  @ApiErrors(400, 401)
  async listQueue(@Query() query: ListQueueQueryDto): Promise<QueuePageDto> {
    const limit = query.limit ?? 500;
    const after = query.cursor === undefined ? undefined : decodeQueueCursor(query.cursor);
    // One page from the index; pending reasons come from the dispatcher's last pass, not recomputed here.
    const { items, total, next } = await this.jobs.queuePage(limit, after);
    // Ordered by priority (the index); with aging, each item says the priority it is placed by.
    const aged = await this.effective.of(items);
    return {
      items: items.map((job) => ({
        ...toJobDto(job),
        pending_reason: this.reasons.get(job),
        ...(aged.has(job.id) ? { effective_priority: aged.get(job.id) } : {}),
      })),
      total,
      next_cursor: next && encodeQueueCursor(next),
    };
  }

  /** Removes a queued item, or aborts it if it is already running. */
  @Delete('queue/:queue_id')
  @ApiErrors(400, 401, 403, 404, 409)
  async cancelQueueItem(@Param() params: QueueIdParamDto): Promise<CancelQueueItemResponseDto> {
    const outcome = await this.commandBus.execute(new CancelQueueItemCommand(params.queue_id));
    return { queue_id: params.queue_id, outcome };
  }

  /**
   * Changes a queued job's priority (409 `JOB_NOT_QUEUED` once it has started or ended). It keeps its
   * place among equal priorities and its age (it is not a resubmit); the scheduler re-places the queue
   * at once, so its pending reason and start follow the new priority. The answer is the queue item
   * with `pending_reason` null (or, while the scheduler is paused or held, that reason): the last
   * pass's reason was for the old priority, and the new one comes with the next pass, within
   * milliseconds (`GET /api/queue`, or the jobs stream's frame naming the job). An unchanged priority
   * keeps its reason.
   */
  @Patch('queue/:queue_id')
  @ApiErrors(400, 401, 403, 404, 409)
  async changeQueuePriority(
    @Param() params: QueueIdParamDto,
    @Body() body: ChangeQueuePriorityRequestDto,
  ): Promise<QueueItemDto> {
    const job = await this.commandBus.execute(new ChangeQueuePriorityCommand(params.queue_id, body.priority));
    return { ...toJobDto(job), pending_reason: this.reasons.get(job) };
  }

  /**
   * Holds a queued job: it stays queued in its place, with its age, but is never started — it claims
   * no GPU and blocks no job behind it — until released; its pending_reason says so. Holding a held
   * job answers it unchanged (200, no journal entry). 409 `JOB_NOT_QUEUED` once it has started or ended.
   */
  @Post('queue/:queue_id/hold')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404, 409)
  async holdQueueItem(@Param() params: QueueIdParamDto): Promise<QueueItemDto> {
    return this.setHeld(params.queue_id, true);
  }

  /**
   * Releases a held queued job: it may start again, from its old place in the queue (the scheduler
   * re-places at once). Releasing a job that is not held answers it unchanged (200, no journal
   * entry). 409 `JOB_NOT_QUEUED` once it has left the queue.
   */
  @Post('queue/:queue_id/release')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404, 409)
  async releaseQueueItem(@Param() params: QueueIdParamDto): Promise<QueueItemDto> {
    return this.setHeld(params.queue_id, false);
  }

  private async setHeld(queueId: string, held: boolean): Promise<QueueItemDto> {
    const job = await this.commandBus.execute(new HoldQueueItemCommand(queueId, held));
    return { ...toJobDto(job), pending_reason: this.reasons.get(job) };
  }

  /** Job types with their parameter schemas (forms are generated from these). */
  @Get('job-types')
  @ApiErrors(401)
  listJobTypes(): JobTypeDto[] {
    return this.registry.list().map(describeJobType);
  }
}
