import { Controller, Get, Header, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors, atMostOneOf, DomainError } from '@trainyard/core';
import { JobRepository } from './infrastructure/job.repository';
import type { Job } from './job';
import { JobFiles } from './job-files';
import { noOutputError } from './job-logs';
import { QueueIdParamDto } from './jobs.dto';
import { LogRangeQueryDto, LogSearchQueryDto, LogSearchResultDto } from './log-search.dto';
import { readTtyRange, searchTty, TtyLogMissingError, TtySearchQueryError } from './tty';

/** A search stops after this long and says so (`timed_out`), whatever the log's size. */
export const LOG_SEARCH_TIME_BUDGET_MS = 5000;

/**
 * Parts of a job's log by line, and a search through all of it: for a viewer whose terminal keeps
 * only the last lines (the live stream is `WS /api/jobs/{queue_id}/tty`).
 */
@ApiTags('jobs')
@Controller('jobs')
export class LogSearchController {
  constructor(
    private readonly jobs: JobRepository,
    private readonly files: JobFiles,
  ) {}

  /**
   * Raw log bytes (ANSI escapes included): `lines` lines from line `line`, from byte `offset`, or
   * from `last` lines before the end.
   * Headers: `X-Trainyard-Log-Line` (number of the first line), `-Offset` / `-End` (byte range
   * returned), `-Lines` (lines returned), `-Size` (the log's size). At most 50,000 lines and 8 MiB.
   */
  @Get(':queue_id/log')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Raw terminal bytes of the lines asked for', schema: { type: 'string' } })
  @ApiErrors(400, 401, 404)
  @Header('Cache-Control', 'no-store')
  async getJobLogRange(
    @Param() params: QueueIdParamDto,
    @Query() query: LogRangeQueryDto,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    atMostOneOf(query, ['line', 'offset', 'last']);
    const job = await this.mustGet(params.queue_id);
    const from =
      query.offset !== undefined
        ? { offset: query.offset }
        : query.last !== undefined
          ? { last: query.last }
          : { line: query.line ?? 1 };
    const range = await this.missingAs404(job, (path) => readTtyRange(path, from, query.lines ?? 1000));
    await reply
      .header('Content-Type', 'text/plain; charset=utf-8')
      .header('X-Trainyard-Log-Line', String(range.line))
      .header('X-Trainyard-Log-Offset', String(range.offset))
      .header('X-Trainyard-Log-End', String(range.end))
      .header('X-Trainyard-Log-Lines', String(range.lines))
      .header('X-Trainyard-Log-Size', String(range.size))
      .send(range.data);
  }

  /**
   * Searches the whole log line by line (ANSI escapes stripped; plain text unless `regex=true`;
   * case-insensitive unless `case_sensitive=true`): the first `limit` matching lines with their line
   * numbers and byte offsets. Stops after 5 s (`timed_out`). A `regex` that does not compile: 400.
   */
  @Get(':queue_id/log/search')
  @ApiErrors(400, 401, 404)
  @Header('Cache-Control', 'no-store')
  async searchJobLog(
    @Param() params: QueueIdParamDto,
    @Query() query: LogSearchQueryDto,
  ): Promise<LogSearchResultDto> {
    const job = await this.mustGet(params.queue_id);
    try {
      return await this.missingAs404(job, (path) =>
        searchTty(path, {
          query: query.q,
          regex: query.regex === 'true',
          caseSensitive: query.case_sensitive === 'true',
          limit: query.limit ?? 200,
          timeBudgetMs: LOG_SEARCH_TIME_BUDGET_MS,
        }),
      );
    } catch (err) {
      if (err instanceof TtySearchQueryError)
        throw new DomainError('VALIDATION_FAILED', err.message, [{ field: 'q', message: err.message }]);
      throw err;
    }
  }

  private async mustGet(queueId: string): Promise<Job> {
    const job = await this.jobs.get(queueId);
    if (!job) throw new DomainError('JOB_NOT_FOUND', `no job ${queueId}`);
    return job;
  }

  /** Reads the job's log; a missing one is a 404 that says whether output may still come. */
  private async missingAs404<T>(job: Job, read: (path: string) => Promise<T>): Promise<T> {
    try {
      return await read(this.files.tty(job.id));
    } catch (err) {
      if (err instanceof TtyLogMissingError) throw noOutputError(job);
      throw err;
    }
  }
}
