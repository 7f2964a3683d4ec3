import { Injectable } from '@nestjs/common';
import type Sqlite from 'better-sqlite3';
import { containsPattern, Database, insertRow, Tx, updateRows } from '@trainyard/database';
import { type LogBatch, type RunStatus, SERVER_PREFIX } from '../log-batch';
import type { StoredConfig } from '../run-values';
import { RunEntity } from './run.entity';

export type RunRow = RunEntity;

export interface RunFilter {
  project?: string;
  job_id?: string;
  status?: RunStatus;
  /** A case-insensitive (ASCII) substring of the run's name, project or id. */
  text?: string;
  /** Only runs something was logged to (true), or only those with nothing (false). */
  logged?: boolean;
}

/** Where a run sits in lists: newest first, the run id breaking ties. */
export interface RunListKey {
  created_at: string;
  run_id: string;
}

/** A series' points in step order: NaN where the stored value is NULL. */
export interface SeriesColumns {
  steps: Float64Array;
  ys: Float64Array;
}

export interface StringPoint {
  path: string;
  step: number;
  value: string;
}

/** Metric points per multi-row INSERT (4 parameters each; SQLite allows 32,766). */
const ROWS_PER_INSERT = 500;

type Statements = ReturnType<typeof prepare>;

interface Where {
  clauses: string[];
  params: unknown[];
}

function runWhere(filter: RunFilter): Where {
  const where: Where = { clauses: [], params: [] };
  for (const column of ['project', 'job_id', 'status'] as const) {
    if (filter[column] === undefined) continue;
    where.clauses.push(`${column} = ?`);
    where.params.push(filter[column]);
  }
  if (filter.text) {
    const like = containsPattern(filter.text);
    where.clauses.push(
      "(name LIKE ? ESCAPE '\\' OR project LIKE ? ESCAPE '\\' OR run_id LIKE ? ESCAPE '\\')",
    );
    where.params.push(like, like, like);
  }
  // As the partial index says it (idx_runs_logged_created_at), so that SQLite reads the list off it.
  if (filter.logged !== undefined) where.clauses.push(filter.logged ? 'logged' : 'NOT logged');
  return where;
}

/** Whether `batch` holds anything but the server's hardware series (clients may not write `sys/`). */
function loggedByClient(batch: LogBatch): boolean {
  return (
    batch.strings.paths.length > 0 ||
    batch.configs.length > 0 ||
    batch.metrics.paths.some((path) => !path.startsWith(SERVER_PREFIX))
  );
}

const whereSql = (where: Where) => (where.clauses.length ? `WHERE ${where.clauses.join(' AND ')}` : '');

function prepare(db: Sqlite.Database) {
  const upsertMetrics = (rows: number) =>
    db.prepare(
      `INSERT INTO run_metrics (run_id, path, step, value) VALUES ${Array(rows).fill('(?, ?, ?, ?)').join(', ')}
       ON CONFLICT (run_id, path, step) DO UPDATE SET value = excluded.value`,
    );
  return {
    run: db.prepare('SELECT * FROM runs WHERE run_id = ?'),
    markLogged: db.prepare('UPDATE runs SET logged = 1 WHERE run_id = ?'),
    metricsFull: upsertMetrics(ROWS_PER_INSERT),
    metricsOne: upsertMetrics(1),
    string: db.prepare(
      `INSERT INTO run_strings (run_id, path, step, value) VALUES (?, ?, ?, ?)
       ON CONFLICT (run_id, path, step) DO UPDATE SET value = excluded.value`,
    ),
    config: db.prepare(
      `INSERT INTO run_configs (run_id, path, type_tag, value, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (run_id, path) DO UPDATE SET type_tag = excluded.type_tag, value = excluded.value,
       updated_at = excluded.updated_at`,
    ),
    series: db
      .prepare(
        'SELECT step, value FROM run_metrics WHERE run_id = ? AND path = ? AND step >= ? AND step <= ? ORDER BY step',
      )
      .raw(true),
    metricPaths: db
      .prepare('SELECT DISTINCT path FROM run_metrics WHERE run_id = ? ORDER BY path')
      .pluck(true),
    stringPaths: db
      .prepare('SELECT DISTINCT path FROM run_strings WHERE run_id = ? ORDER BY path')
      .pluck(true),
    configs: db.prepare(
      'SELECT path, type_tag, value, updated_at FROM run_configs WHERE run_id = ? ORDER BY path',
    ),
  };
}

/**
 * The tracking tables. Runs rows go through TypeORM inside journal transactions; points and configs
 * (telemetry, thousands a second) through prepared better-sqlite3 statements — multi-row upserts
 * inside one write transaction per batch — since TypeORM costs ~0.1 ms a row.
 */
@Injectable()
export class RunRepository {
  private cache: { db: Sqlite.Database; statements: Statements } | undefined;

  constructor(private readonly database: Database) {}

  private get sql(): Statements {
    const db = this.database.connection;
    if (this.cache?.db !== db) this.cache = { db, statements: prepare(db) };
    return this.cache.statements;
  }

  // A job's launch and end go through these (see JobRuns): the cheap statements of @trainyard/database.
  async insert(tx: Tx, row: RunRow): Promise<void> {
    await insertRow(tx, RunEntity, row);
  }

  async setStatus(tx: Tx, runId: string, status: RunStatus, at: string): Promise<boolean> {
    return (await updateRows(tx, RunEntity, { status, updated_at: at }, { run_id: runId })) > 0;
  }

  async setToken(tx: Tx, runId: string, hash: string | null, expiresAt: string | null): Promise<void> {
    await updateRows(tx, RunEntity, { token_hash: hash, token_expires_at: expiresAt }, { run_id: runId });
  }

  /** Deletes a run's row with its points, strings and configs (telemetry has no foreign key). */
  async delete(tx: Tx, runId: string): Promise<void> {
    for (const table of ['run_metrics', 'run_strings', 'run_configs', 'runs'])
      await tx.query(`DELETE FROM ${table} WHERE run_id = ?`, [runId]);
  }

  /** One run (a prepared statement: the auth gate asks this on every ingest request). */
  get(runId: string): RunRow | null {
    return (this.sql.run.get(runId) as RunRow | undefined) ?? null;
  }

  /** The job's newest run (every column is text: the row is the RunRow as stored). */
  async findByJob(jobId: string, tx?: Tx): Promise<RunRow | null> {
    const rows: RunRow[] = await (tx ?? this.database.manager).query(
      'SELECT * FROM runs WHERE job_id = ? ORDER BY created_at DESC LIMIT 1',
      [jobId],
    );
    return rows[0] ?? null;
  }

  /** Each job's newest run, by job id (jobs without one are absent); chunked under SQLite's variable limit. */
  async newestByJobs(jobIds: readonly string[], tx: Tx): Promise<Map<string, RunRow>> {
    const newest = new Map<string, RunRow>();
    for (let i = 0; i < jobIds.length; i += 500) {
      const chunk = jobIds.slice(i, i + 500);
      const rows: RunRow[] = await tx.query(
        `SELECT * FROM runs WHERE job_id IN (${chunk.map(() => '?').join(',')}) ORDER BY created_at DESC`,
        chunk,
      );
      for (const row of rows) if (!newest.has(row.job_id!)) newest.set(row.job_id!, row);
    }
    return newest;
  }

  /**
   * The runs matching `filter` in list order (newest first), after `after` when given, at most
   * `limit` of them (all without one): read in order off idx_runs_created_at, so a page costs O(page).
   */
  async list(filter: RunFilter, after: RunListKey | null = null, limit?: number): Promise<RunRow[]> {
    const where = runWhere(filter);
    if (after) {
      where.clauses.push('(created_at < ? OR (created_at = ? AND run_id < ?))');
      where.params.push(after.created_at, after.created_at, after.run_id);
    }
    return this.database.manager.query(
      `SELECT * FROM runs ${whereSql(where)} ORDER BY created_at DESC, run_id DESC` +
        (limit === undefined ? '' : ` LIMIT ${Math.trunc(limit)}`),
      where.params,
    );
  }

  /** How many runs match `filter`. */
  async count(filter: RunFilter): Promise<number> {
    const where = runWhere(filter);
    const [row] = await this.database.manager.query<Array<{ n: number }>>(
      `SELECT COUNT(*) AS n FROM runs ${whereSql(where)}`,
      where.params,
    );
    return row.n;
  }

  /**
   * Writes a batch's points and configs in one transaction; the same (path, step) overwrites. False,
   * writing nothing, when the run is gone by then (deleted while the batch waited for its turn).
   */
  async write(runId: string, batch: LogBatch, now: string): Promise<boolean> {
    return this.database.transaction(() => {
      const sql = this.sql;
      const run = sql.run.get(runId) as RunRow | undefined;
      if (!run) return Promise.resolve(false);
      const { paths, steps, values } = batch.metrics;
      const n = paths.length;
      let i = 0;
      if (n >= ROWS_PER_INSERT) {
        const params: unknown[] = new Array<unknown>(ROWS_PER_INSERT * 4);
        for (; i + ROWS_PER_INSERT <= n; i += ROWS_PER_INSERT) {
          for (let j = 0; j < ROWS_PER_INSERT; j++) {
            const at = j * 4;
            const value = values[i + j];
            params[at] = runId;
            params[at + 1] = paths[i + j];
            params[at + 2] = steps[i + j];
            params[at + 3] = Number.isNaN(value) ? null : value;
          }
          sql.metricsFull.run(params);
        }
      }
      for (; i < n; i++)
        sql.metricsOne.run(runId, paths[i], steps[i], Number.isNaN(values[i]) ? null : values[i]);
      for (let s = 0; s < batch.strings.paths.length; s++)
        sql.string.run(runId, batch.strings.paths[s], batch.strings.steps[s], batch.strings.values[s]);
      for (const config of batch.configs)
        sql.config.run(runId, config.path, config.type_tag, config.value, now);
      // Once per run: a run already logged to is not written again for it.
      if (!run.logged && loggedByClient(batch)) sql.markLogged.run(runId);
      return Promise.resolve(true);
    });
  }

  metricPaths(runId: string): string[] {
    return this.sql.metricPaths.all(runId) as string[];
  }

  stringPaths(runId: string): string[] {
    return this.sql.stringPaths.all(runId) as string[];
  }

  series(runId: string, path: string, stepMin = -Infinity, stepMax = Infinity): SeriesColumns {
    return readColumns(
      this.sql.series.iterate(runId, path, stepMin, stepMax) as Iterable<[number, number | null]>,
    );
  }

  configs(runId: string): Array<{ path: string; updated_at: string } & StoredConfig> {
    return this.sql.configs.all(runId) as Array<{ path: string; updated_at: string } & StoredConfig>;
  }

  strings(runId: string, query: StringQuery): { points: StringPoint[]; total: number } {
    return readStrings(this.database.connection, 'run_strings', 'run_id = ?', [runId], query);
  }
}

/** Collects `[step, value|null]` rows into columns (NULL → NaN), growing geometrically. */
export function readColumns(rows: Iterable<[number, number | null]>): SeriesColumns {
  let steps = new Float64Array(1024);
  let ys = new Float64Array(1024);
  let n = 0;
  for (const [step, value] of rows) {
    if (n === steps.length) {
      const grownSteps = new Float64Array(n * 2);
      grownSteps.set(steps);
      steps = grownSteps;
      const grownYs = new Float64Array(n * 2);
      grownYs.set(ys);
      ys = grownYs;
    }
    steps[n] = step;
    ys[n] = value ?? NaN;
    n += 1;
  }
  return { steps: steps.subarray(0, n), ys: ys.subarray(0, n) };
}

export interface StringQuery {
  path?: string;
  limit?: number;
  offset?: number;
  /** The last `tail` points (wins over limit/offset), still in step order. */
  tail?: number;
}

/**
 * goodseed's string-series read over `table` (ours or a goodseed file's joined view): ordered by
 * (path, step), or by step for one path; `total` counts all matching points before paging.
 */
export function readStrings(
  db: Sqlite.Database,
  table: string,
  where: string,
  params: unknown[],
  query: StringQuery,
): { points: StringPoint[]; total: number } {
  const conditions = query.path !== undefined ? `${where} AND path = ?` : where;
  const args = query.path !== undefined ? [...params, query.path] : params;
  const total = db
    .prepare(`SELECT COUNT(*) FROM ${table} WHERE ${conditions}`)
    .pluck()
    .get(...args) as number;
  let points: StringPoint[];
  if (query.tail !== undefined) {
    points = (
      db
        .prepare(
          `SELECT path, step, value FROM ${table} WHERE ${conditions} ORDER BY path DESC, step DESC LIMIT ?`,
        )
        .all(...args, query.tail) as StringPoint[]
    ).reverse();
  } else {
    points = db
      .prepare(
        `SELECT path, step, value FROM ${table} WHERE ${conditions} ORDER BY path, step LIMIT ? OFFSET ?`,
      )
      .all(...args, query.limit ?? -1, query.offset ?? 0) as StringPoint[];
  }
  return { points, total };
}
