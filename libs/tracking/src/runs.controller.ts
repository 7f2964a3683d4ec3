import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { ApiErrors, validationFailed } from '@trainyard/core';
import { parseLogBatch } from './log-batch';
import { decodeRunListCursor, encodeRunListCursor } from './run-list';
import { numberToJson } from './run-values';
import {
  CreateRunRequestDto,
  ListRunsPageQueryDto,
  ListRunsQueryDto,
  LogRunRequestDto,
  LogRunResponseDto,
  MetricPathsDto,
  MetricSeriesDto,
  MetricsQueryDto,
  RunDetailDto,
  RunDto,
  RunIdParamDto,
  RunPageDto,
  StringSeriesDto,
  StringsQueryDto,
} from './runs.dto';
import { RunsService } from './runs.service';

const DEFAULT_POINT_COUNT = 1000;
const DEFAULT_PAGE_SIZE = 100;

/** Run tracking (goodseed-compatible): runs, their log batches, and downsampled series. */
@ApiTags('runs')
@Controller('runs')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  /**
   * Every run: Trainyard's (newest first) and, unless `job` is given, goodseed's (newest first), as
   * goodseed lists them. For big lists, `GET /api/runs/page`.
   */
  @Get()
  @ApiErrors(400, 401)
  async listRuns(@Query() query: ListRunsQueryDto): Promise<RunDto[]> {
    return this.runs.list({
      project: query.project,
      job_id: query.job,
      status: query.status,
      logged: query.logged,
    });
  }

  /**
   * A page of runs, as `GET /api/runs` orders them, with their total: the form for big lists (a
   * sweep leaves thousands), searchable by `q`. Pass `next_cursor` back as `cursor` for the next page.
   */
  @Get('page')
  @ApiErrors(400, 401)
  async listRunsPage(@Query() query: ListRunsPageQueryDto): Promise<RunPageDto> {
    const page = await this.runs.page(
      {
        project: query.project,
        job_id: query.job,
        status: query.status,
        text: query.q,
        source: query.source,
        logged: query.logged,
      },
      query.limit ?? DEFAULT_PAGE_SIZE,
      query.cursor === undefined ? null : decodeRunListCursor(query.cursor),
    );
    return {
      items: page.items,
      total: page.total,
      next_cursor: page.next ? encodeRunListCursor(page.next) : null,
    };
  }

  /** Creates a run (status running). */
  @Post()
  @ApiErrors(400, 401)
  async createRun(@Body() body: CreateRunRequestDto): Promise<RunDto> {
    return this.runs.create({ name: body.name ?? null, project: body.project ?? null, job_id: null });
  }

  /** One run with its configs. */
  @Get(':run_id')
  @ApiErrors(400, 401, 404)
  async getRun(@Param() params: RunIdParamDto): Promise<RunDetailDto> {
    return this.runs.get(params.run_id);
  }

  /**
   * Deletes a run with its points, strings and configs. 409 for the run of a job that has not ended
   * (it may still log) and for a goodseed run (a file: remove it where goodseed keeps it).
   */
  @Delete(':run_id')
  @HttpCode(204)
  @ApiErrors(400, 401, 404, 409)
  async deleteRun(@Param() params: RunIdParamDto): Promise<void> {
    await this.runs.delete(params.run_id);
  }

  /**
   * Writes a batch of metric points, string points and configs, and optionally the status. The same
   * path and step overwrites. Besides the server's token, the run's own ingest token (a job's
   * TRAINYARD_RUN_TOKEN_FILE) is accepted here — and only here, only for its run (403 otherwise).
   * 413 past 10,000 points or 1 MiB; 400 names each bad field.
   */
  @Post(':run_id/log')
  @HttpCode(200)
  @ApiBody({ type: LogRunRequestDto })
  @ApiErrors(400, 401, 403, 404, 413)
  async logRun(@Param() params: RunIdParamDto, @Body() body: unknown): Promise<LogRunResponseDto> {
    const batch = parseLogBatch(body);
    await this.runs.log(params.run_id, batch);
    return {
      metrics: batch.metrics.paths.length,
      strings: batch.strings.paths.length,
      configs: batch.configs.length,
    };
  }

  /** The run's metric series paths, sorted. */
  @Get(':run_id/metric-paths')
  @ApiErrors(400, 401, 404)
  metricPaths(@Param() params: RunIdParamDto): MetricPathsDto {
    return { paths: this.runs.metricPaths(params.run_id) };
  }

  /**
   * One series in [step_min, step_max], downsampled goodseed's way to about point_count points. 400
   * when step_min is above step_max (an empty range is a mistake, not an empty series).
   */
  @Get(':run_id/metrics')
  @ApiErrors(400, 401, 404)
  metricSeries(@Param() params: RunIdParamDto, @Query() query: MetricsQueryDto): MetricSeriesDto {
    if (query.step_min !== undefined && query.step_max !== undefined && query.step_min > query.step_max)
      throw validationFailed(
        [
          {
            field: 'step_max',
            message: `step_max (${query.step_max}) is below step_min (${query.step_min})`,
          },
        ],
        'query',
      );
    const series = this.runs.metrics(
      params.run_id,
      query.path,
      query.point_count ?? DEFAULT_POINT_COUNT,
      query.step_min,
      query.step_max,
    );
    return {
      path: series.path,
      downsampled: series.downsampled,
      points: series.points.map((p) =>
        p.min_y === undefined || p.max_y === undefined
          ? { step: p.step, y: numberToJson(p.y) }
          : {
              step: p.step,
              y: numberToJson(p.y),
              min_y: numberToJson(p.min_y),
              max_y: numberToJson(p.max_y),
              ...(p.nonfinite ? { nonfinite: p.nonfinite } : {}),
            },
      ),
    };
  }

  /** String series points in (path, step) order: paged with limit/offset, or the last `tail`. */
  @Get(':run_id/strings')
  @ApiErrors(400, 401, 404)
  stringSeries(@Param() params: RunIdParamDto, @Query() query: StringsQueryDto): StringSeriesDto {
    return this.runs.strings(params.run_id, query);
  }
}
