import { Injectable, OnModuleInit } from '@nestjs/common';
import { Credentials } from '@trainyard/auth';
import { DomainError, newRunId } from '@trainyard/core';
import { Tx } from '@trainyard/database';
import { Journal } from '@trainyard/journal';
import { downsample, DownsampledSeries } from './downsample';
import { GoodseedRuns } from './goodseed-runs';
import {
  RunRepository,
  RunRow,
  SeriesColumns,
  StringPoint,
  StringQuery,
} from './infrastructure/run.repository';
import { LogBatch, RunStatus } from './log-batch';
import {
  byListOrder,
  listKeyOf,
  listsAfter,
  RunListCursor,
  RunListFilter,
  RunPage,
  RunSummary,
} from './run-list';
import { runIdOfToken, runTokenMatches, RUN_TOKEN_PREFIX } from './run-tokens';
import { ConfigJsonValue, decodeConfig } from './run-values';
import { SeriesCache, stepRange } from './series-cache';
import { RunCreatedEvent, RunDeletedEvent, RunStatusChangedEvent } from './tracking.events';

/** The only route a run's ingest token may call. */
export const RUN_INGEST_ROUTE = 'POST /api/runs/:run_id/log';

export interface RunConfig {
  path: string;
  type_tag: string;
  value: ConfigJsonValue;
}

function summaryOf(row: RunRow): RunSummary {
  return {
    run_id: row.run_id,
    name: row.name,
    project: row.project,
    job_id: row.job_id,
    status: row.status,
    source: 'trainyard',
    created_at: row.created_at,
    updated_at: row.updated_at,
    // SQLite hands a boolean column back as 0 or 1.
    logged: Boolean(row.logged),
  };
}

function notFound(runId: string): DomainError {
  return new DomainError('NOT_FOUND', `No run ${runId}`);
}

/**
 * Runs, native and imported: creation and status through the journal, points through the run
 * repository, reads from either source by id (`gs_…` ids are goodseed files).
 */
@Injectable()
export class RunsService implements OnModuleInit {
  private readonly cache = new SeriesCache();
  /** Bumped per native run on every write: the series cache's version for that run's paths. */
  private readonly writes = new Map<string, number>();

  constructor(
    private readonly journal: Journal,
    private readonly runs: RunRepository,
    private readonly goodseed: GoodseedRuns,
    private readonly credentials: Credentials,
  ) {}

  onModuleInit(): void {
    this.credentials.scoped.register({
      prefix: RUN_TOKEN_PREFIX,
      routes: [RUN_INGEST_ROUTE],
      description: 'a run’s ingest token, accepted only on POST /api/runs/{its run}/log',
      check: (token, params, now) => this.checkToken(token, params.run_id, now),
    });
  }

  /** A run token is `ok` for its own run until it expires, `forbidden` for any other run. */
  private checkToken(token: string, runId: string | undefined, now: number): 'ok' | 'forbidden' | null {
    const claimed = runIdOfToken(token);
    const row = claimed ? this.runs.get(claimed) : null;
    if (!row?.token_hash || !runTokenMatches(token, row.token_hash)) return null;
    if (row.token_expires_at !== null && Date.parse(row.token_expires_at) <= now) return null;
    return row.run_id === runId ? 'ok' : 'forbidden';
  }

  /** Creates a run (status running) and its journal entry; `tokenHash` arms an ingest token. */
  async create(
    fields: { name: string | null; project: string | null; job_id: string | null },
    tokenHash: string | null = null,
    runId = newRunId(),
  ): Promise<RunSummary> {
    const row = await this.journal.record(async (tx) => {
      const created = await this.createIn(tx, fields, tokenHash, runId);
      return { result: created.row, events: created.events };
    });
    return summaryOf(row);
  }

  /** `create` inside the caller's transaction: the row, and the event for its journal entry. */
  async createIn(
    tx: Tx,
    fields: { name: string | null; project: string | null; job_id: string | null },
    tokenHash: string | null,
    runId = newRunId(),
  ): Promise<{ row: RunRow; events: RunCreatedEvent[] }> {
    const now = new Date().toISOString();
    const row: RunRow = {
      run_id: runId,
      ...fields,
      status: 'running',
      created_at: now,
      updated_at: now,
      logged: false,
      token_hash: tokenHash,
      token_expires_at: null,
    };
    await this.runs.insert(tx, row);
    return { row, events: [new RunCreatedEvent({ run_id: runId, ...fields, created_at: now })] };
  }

  /**
   * Writes a validated batch to a native run (404 for unknown or imported runs). A job's run takes
   * its final status from the job's end: a `status` after that (a late flush, a copied token) is a
   * 409 naming `status`, and nothing of the batch is written.
   */
  async log(runId: string, batch: LogBatch): Promise<void> {
    const run = this.runs.get(runId);
    if (!run) throw notFound(runId);
    // The job's end arms the token's expiry: from then on the run's status is the job's outcome.
    if (batch.status && batch.status !== run.status && run.job_id !== null && run.token_expires_at !== null) {
      const message = `run ${runId} belongs to job ${run.job_id}, which has ended: its status stays ${run.status}`;
      throw new DomainError('CONFLICT', message, [{ field: 'status', message }]);
    }
    const now = new Date().toISOString();
    if (batch.metrics.paths.length || batch.strings.paths.length || batch.configs.length) {
      if (!(await this.runs.write(runId, batch, now))) throw notFound(runId);
      this.writes.set(runId, (this.writes.get(runId) ?? 0) + 1);
      this.cache.invalidate(runId, new Set(batch.metrics.paths));
    }
    if (batch.status) await this.setStatus(runId, batch.status);
  }

  /** Changes a run's status (journaled); a no-op when it already has it. */
  async setStatus(runId: string, status: RunStatus): Promise<void> {
    if (!this.runs.get(runId)) throw notFound(runId);
    await this.journal.record(async (tx) => ({
      result: undefined,
      events: await this.changeStatus(tx, runId, status),
    }));
  }

  /** Inside a caller's journal transaction: the status change and the entries to record with it. */
  async changeStatus(tx: Tx, runId: string, status: RunStatus): Promise<RunStatusChangedEvent[]> {
    const row = this.runs.get(runId);
    if (!row || row.status === status) return [];
    const updatedAt = new Date().toISOString();
    const ok = await this.runs.setStatus(tx, runId, status, updatedAt);
    return ok
      ? [new RunStatusChangedEvent({ run_id: runId, status, updated_at: updatedAt, name: row.name })]
      : [];
  }

  /**
   * Deletes a native run with its points, strings and configs (journaled). 404 unknown; 409 for a
   * goodseed run (a file under the goodseed directory: removed there) and for the run of a job that
   * has not ended (it still writes to it).
   */
  async delete(runId: string): Promise<void> {
    if (this.goodseed.isGoodseedId(runId)) {
      if (!this.goodseed.get(runId)) throw notFound(runId);
      throw new DomainError(
        'CONFLICT',
        `${runId} is a goodseed run: it is a file, removed where goodseed keeps it`,
      );
    }
    const row = this.runs.get(runId);
    if (!row) throw notFound(runId);
    // The job's end arms its token's expiry: until then the job may still log to its run.
    if (row.job_id !== null && row.token_expires_at === null)
      throw new DomainError('CONFLICT', `run ${runId} belongs to job ${row.job_id}, which has not ended`);
    const paths = this.runs.metricPaths(runId);
    await this.journal.record(async (tx) => {
      await this.runs.delete(tx, runId);
      return {
        result: undefined,
        events: [
          new RunDeletedEvent({
            run_id: runId,
            name: row.name,
            job_id: row.job_id,
            deleted_at: new Date().toISOString(),
          }),
        ],
      };
    });
    this.cache.invalidate(runId, paths);
    this.writes.delete(runId);
  }

  /** Every matching run: Trainyard's newest first, then goodseed's (which have no job) newest first. */
  async list(filter: RunListFilter): Promise<RunSummary[]> {
    const native = filter.source === 'goodseed' ? [] : (await this.runs.list(filter)).map(summaryOf);
    return [...native, ...this.imported(filter)];
  }

  /**
   * At most `limit` runs of `list`'s order, after `after` (from the start when null), and how many
   * match in all. Trainyard's runs are read off their index only as far as the page needs; goodseed's
   * files are all read (as `list` reads them), since their metadata is inside each file.
   */
  async page(filter: RunListFilter, limit: number, after: RunListCursor | null): Promise<RunPage> {
    const imported = this.imported(filter);
    const native = filter.source !== 'goodseed';
    const total = (native ? await this.runs.count(filter) : 0) + imported.length;
    const items: RunSummary[] = [];
    if (native && after?.source !== 'goodseed')
      items.push(...(await this.runs.list(filter, after?.key ?? null, limit + 1)).map(summaryOf));
    if (items.length <= limit) {
      const from = after?.source === 'goodseed' ? imported.findIndex((r) => listsAfter(after.key, r)) : 0;
      if (from >= 0) items.push(...imported.slice(from, from + limit + 1 - items.length));
    }
    const more = items.length > limit;
    items.length = Math.min(items.length, limit);
    const last = items[items.length - 1];
    return { items, total, next: more ? { source: last.source, key: listKeyOf(last) } : null };
  }

  /** The goodseed runs matching `filter`, in list order (none when it asks for a job's runs). */
  private imported(filter: RunListFilter): RunSummary[] {
    if (filter.job_id !== undefined || filter.source === 'trainyard' || filter.logged === false) return [];
    const text = filter.text?.toLowerCase();
    return this.goodseed
      .list()
      .filter(
        (r) =>
          (filter.project === undefined || r.project === filter.project) &&
          (filter.status === undefined || r.status === filter.status) &&
          (!text || [r.name ?? '', r.project, r.run_id].some((v) => v.toLowerCase().includes(text))),
      )
      .map((r) => this.goodseedSummary(r))
      .sort(byListOrder);
  }

  async get(runId: string): Promise<RunSummary & { configs: RunConfig[] }> {
    if (this.goodseed.isGoodseedId(runId)) {
      const meta = this.goodseed.get(runId);
      const configs = this.goodseed.configs(runId);
      if (!meta || !configs) throw notFound(runId);
      return {
        ...this.goodseedSummary(meta),
        configs: configs.map((c) => ({
          path: c.path,
          type_tag: c.type_tag,
          value: decodeConfig(c.type_tag, c.value),
        })),
      };
    }
    const row = this.runs.get(runId);
    if (!row) throw notFound(runId);
    const configs = this.runs
      .configs(runId)
      .map((c) => ({ path: c.path, type_tag: c.type_tag, value: decodeConfig(c.type_tag, c.value) }));
    return Promise.resolve({ ...summaryOf(row), configs });
  }

  metricPaths(runId: string): string[] {
    if (this.goodseed.isGoodseedId(runId)) return this.goodseed.metricPaths(runId) ?? this.fail(runId);
    if (!this.runs.get(runId)) throw notFound(runId);
    return this.runs.metricPaths(runId);
  }

  stringPaths(runId: string): string[] {
    if (this.goodseed.isGoodseedId(runId)) return this.fail(runId);
    if (!this.runs.get(runId)) throw notFound(runId);
    return this.runs.stringPaths(runId);
  }

  /** A series within [stepMin, stepMax], downsampled to at most about `pointCount` points. */
  metrics(
    runId: string,
    path: string,
    pointCount: number,
    stepMin = -Infinity,
    stepMax = Infinity,
  ): { path: string } & DownsampledSeries {
    const columns = this.columns(runId, path);
    const [from, to] = stepRange(columns.steps, stepMin, stepMax);
    return {
      path,
      ...downsample(columns.steps.subarray(from, to), columns.ys.subarray(from, to), pointCount),
    };
  }

  strings(runId: string, query: StringQuery): { points: StringPoint[]; total: number } {
    if (this.goodseed.isGoodseedId(runId)) return this.goodseed.strings(runId, query) ?? this.fail(runId);
    if (!this.runs.get(runId)) throw notFound(runId);
    return this.runs.strings(runId, query);
  }

  private columns(runId: string, path: string): SeriesColumns {
    if (this.goodseed.isGoodseedId(runId)) {
      const meta = this.goodseed.get(runId);
      if (!meta) throw notFound(runId);
      return this.cache.get(
        runId,
        path,
        meta.modified_at,
        () => this.goodseed.series(runId, path) ?? this.fail(runId),
      );
    }
    if (!this.runs.get(runId)) throw notFound(runId);
    return this.cache.get(runId, path, String(this.writes.get(runId) ?? 0), () =>
      this.runs.series(runId, path),
    );
  }

  private goodseedSummary(r: {
    run_id: string;
    name: string | null;
    project: string;
    status: string;
    created_at: string | null;
    closed_at: string | null;
    modified_at: string;
  }): RunSummary {
    return {
      run_id: r.run_id,
      name: r.name,
      project: r.project,
      job_id: null,
      status: r.status,
      source: 'goodseed',
      created_at: r.created_at,
      updated_at: r.closed_at ?? r.modified_at,
      // A file goodseed wrote: what was logged to it is what it holds.
      logged: true,
    };
  }

  private fail(runId: string): never {
    throw notFound(runId);
  }
}
