import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiExtraModels, ApiOkResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ApiErrors } from '@trainyard/core';
import { KillGpuProcessesCommand } from './commands/kill-gpu-processes.command';
import { SetGpuPolicyCommand } from './commands/set-gpu-policy.command';
import { GpuHistory } from './gpu-history';
import { GPU_POLL_INTERVAL_MS, GpuInventory } from './gpu-inventory';
import {
  GpuHistoryListDto,
  GpuHistoryQueryDto,
  GpuIndexParamDto,
  GpuListDto,
  GpuPolicyDto,
  KillGpuProcessesRequestDto,
  KillGpuProcessesResponseDto,
  SetGpuPolicyRequestDto,
} from './gpus.dto';
import { toGpuListDto, toGpuPolicyDto } from './gpus.mapper';

@ApiTags('gpus')
@Controller('gpus')
export class GpusController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly inventory: GpuInventory,
    private readonly history: GpuHistory,
  ) {}

  /** The host's GPUs: latest telemetry, processes (with their Trainyard job), exclusion, policy and reservation. */
  @Get()
  @ApiErrors(401)
  async listGpus(): Promise<GpuListDto> {
    await this.inventory.ready();
    return toGpuListDto(this.inventory.view());
  }

  /**
   * Utilization (%) and memory in use (MiB) of each GPU over the last `window_s` seconds (at most the
   * hour kept in memory), averaged into `step_s` buckets — for sparklines. From the samples the server
   * already takes every 2 s; empty after a restart.
   */
  @Get('history')
  @ApiErrors(400, 401)
  getGpuHistory(@Query() query: GpuHistoryQueryDto): GpuHistoryListDto {
    const windowS = query.window_s ?? 3600;
    const stepS = query.step_s ?? Math.max(2, Math.round(windowS / 120));
    return {
      window_s: windowS,
      step_s: stepS,
      sample_interval_s: GPU_POLL_INTERVAL_MS / 1000,
      gpus: this.history.series(windowS * 1000, stepS * 1000),
    };
  }

  /** Every known GPU's scheduling policy, keyed by GPU index (defaults: enabled, min_priority null = no gate). */
  @Get('policy')
  @ApiErrors(401)
  @ApiExtraModels(GpuPolicyDto)
  @ApiOkResponse({
    schema: { type: 'object', additionalProperties: { $ref: getSchemaPath(GpuPolicyDto) } },
  })
  async getGpuPolicies(): Promise<Record<string, GpuPolicyDto>> {
    await this.inventory.ready();
    return Object.fromEntries(
      this.inventory
        .knownIndices()
        .map((index) => [String(index), toGpuPolicyDto(this.inventory.policyOf(index))]),
    );
  }

  /** Changes a GPU's policy (partial: fields left out keep their value); the scheduler applies it at once. */
  @Post(':index/policy')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404)
  async setGpuPolicy(
    @Param() { index }: GpuIndexParamDto,
    @Body() body: SetGpuPolicyRequestDto,
  ): Promise<GpuPolicyDto> {
    const policy = await this.commandBus.execute(
      new SetGpuPolicyCommand(index, { disabled: body.disabled, min_priority: body.min_priority }),
    );
    return toGpuPolicyDto(policy);
  }

  /**
   * SIGKILLs every process using the GPU (its CUDA_VISIBLE_DEVICES names it, or nvidia-smi lists it),
   * Trainyard jobs included — those stopped as jobs (each ends aborted / user_kill, listed in `jobs`); never the server or its ancestors, and other users' processes only with
   * `{"force": true}`. Needs `{"confirmed": true}`.
   */
  @Post(':index/kill')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404)
  async killGpuProcesses(
    @Param() { index }: GpuIndexParamDto,
    @Body() body: KillGpuProcessesRequestDto,
  ): Promise<KillGpuProcessesResponseDto> {
    const result = await this.commandBus.execute(
      new KillGpuProcessesCommand(index, body.confirmed === true, body.force === true),
    );
    return {
      gpu_index: result.gpu_index,
      pids: result.pids,
      killed: result.killed,
      failed: result.failed,
      jobs: result.jobs,
      journal_error: result.journal_error,
    };
  }
}
