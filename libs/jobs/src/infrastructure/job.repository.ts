import { Injectable } from '@nestjs/common';
import {
  containsPattern,
  Database,
  insertRow,
  queryRows,
  selectRows,
  Tx,
  updateRows,
} from '@trainyard/database';
import { In } from 'typeorm';
import type { Job, SubmitRequest } from '../job';
import type { JobSort } from '../jobs.dto';
import type { DependencyRecord, JobDependency } from '../dependencies';
import {
  ACTIVE_STATUSES,
  JOB_STATUSES,
  JobStatus,
  sourcesOf,
  TERMINAL_STATUSES,
  TerminationReason,
  UNFINISHED_STATUSES,
} from '../job-lifecycle';
import { JobEntity } from './job.entity';
import { preemptedNote } from '../pending-reasons';
import type { CleanupFilter } from '../commands/delete-jobs.command';

function toJob({ seq: _seq, idempotency_request: _request, ...row }: JobEntity): Job {
  return {
    ...row,
    status: row.status as JobStatus,
    termination_reason: row.termination_reason as TerminationReason | null,
    job_params: JSON.parse(row.job_params) as Record<string, unknown>,
    env: JSON.parse(row.env) as Record<string, string>,
    gpu_indices: JSON.parse(row.gpu_indices) as number[],
    mig_devices: JSON.parse(row.mig_devices) as string[],
    argv: row.argv === null ? null : (JSON.parse(row.argv) as string[]),
    depends_on: JSON.parse(row.depends_on) as JobDependency[],
    // A hold is about a queued job only: a held job that ended (its dependency failed, an array's
    // cancel) keeps the column, but it is no longer held.
    held: row.held && row.status === 'queued',
  };
}

/** The row a job is stored as (JSON columns encoded; `seq` is assigned on insert). */
function toRow(job: Job, idempotencyRequest: SubmitRequest | null): Omit<JobEntity, 'seq'> {
  return Object.assign(new JobEntity(), {
    ...job,
    idempotency_request: idempotencyRequest === null ? null : JSON.stringify(idempotencyRequest),
    job_params: JSON.stringify(job.job_params),
    env: JSON.stringify(job.env),
    gpu_indices: JSON.stringify(job.gpu_indices),
    mig_devices: JSON.stringify(job.mig_devices),
    argv: job.argv === null ? null : JSON.stringify(job.argv),
    depends_on: JSON.stringify(job.depends_on),
  });
}

/** The row changes of `queued → aborted / dependency_failed` (live path and replay alike). */
export function dependencyFailedChanges(e: { error: string; ended_at: string }): Partial<JobEntity> {
  return { status: 'aborted', termination_reason: 'dependency_failed', error: e.error, ended_at: e.ended_at };
}

/** The row changes of a queued job's hold (live path and replay alike). */
export function heldChanges(e: { held_at: string }): Partial<JobEntity> {
  return { held: true, held_at: e.held_at };
}

/** The row changes of a held job's release; an entry without `held_ms` (older) leaves the row's. */
export function releasedChanges(e: { held_ms?: number }): Partial<JobEntity> {
  return { held: false, held_at: null, ...(e.held_ms === undefined ? {} : { held_ms: e.held_ms }) };
}

/** The row changes of `terminating → queued` after a preemption (live path and replay alike). */
export function preemptedChanges(e: {
  restart_count: number;
  preempted_at: string;
  error: string;
  exit_code: number | null;
}): Partial<JobEntity> {
  return {
    status: 'queued',
    restart_count: e.restart_count,
    preempted_at: e.preempted_at,
    error: e.error,
    exit_code: e.exit_code,
    started_at: null,
    gpu_indices: '[]',
    mig_devices: '[]',
    pid: null,
    proc_start_time: null,
    termination_reason: null,
    termination_requested_at: null,
    // Ready again from its requeue: the time it was held before that is behind it (see aging.ts).
    held_ms: 0,
  };
}

/** What placement reads of a queued job. */
export interface QueuedForPlacement {
  id: string;
  priority: number;
  requested_gpus: number;
  gpu_profile: string | null;
  seq: number;
  depends_on: JobDependency[];
  array_id: string | null;
  array_max_running: number | null;
  /** Run-time cap, seconds (null: none). */
  time_limit_s: number | null;
  /** Its own kill grace, seconds (null: the server's). */
  kill_grace_s: number | null;
  /** ISO 8601. */
  submitted_at: string;
  /** ISO 8601: when it was last preempted (it is queued again since just after), or null. */
  preempted_at: string | null;
  /** "preempted by q_… (priority N); requeued" while a preempted job waits again; else null. */
  preempted_note: string | null;
  /** Held by the user: it waits, placed nowhere, until released. */
  held: boolean;
  /** Milliseconds it was held while ready to start (see Job.held_ms): not waited, for aging. */
  held_ms: number;
}

/** Bound parameters per IN (...) list, well under SQLite's limit. */
const IN_CHUNK = 500;

/** The sorts `GET /api/jobs` offers (JOB_SORTS): SORT_PARTS must say how to read each. */
export type JobListSort = JobSort;

export interface JobListFilter {
  statuses?: JobStatus[];
  /** Of the queued jobs, only those the user holds (the other statuses are not narrowed). */
  heldOnly?: boolean;
  jobType?: string;
  /** Words (or "quoted phrases"), each to be found (case-insensitive) in name, id, params or error. */
  text?: string;
  /** Submitted at or after / before these instants (ISO 8601 as stored: `toISOString()`). */
  submittedAfter?: string;
  submittedBefore?: string;
  /** Only the jobs of this array. */
  arrayId?: string;
  /** Absent: the default order (unfinished first, then finished, each newest first). */
  sort?: { by: JobListSort; order: 'asc' | 'desc' };
  limit: number;
  /** Start after this job (the last of the previous page); its kind must match `sort`. */
  after?: JobListCursor;
}

/**
 * Where a page of the job list starts: the sort key of the previous page's last job (keyset paging:
 * jobs added, ended or removed between pages shift nothing, and a page costs O(page) in the default
 * order). `seq` breaks ties. A sorted list's `now` is the time its first page was read, so `runtime`
 * orders every page alike.
 */
export type JobListCursor =
  | { kind: 'default'; finished: boolean; seq: number }
  | {
      kind: 'sorted';
      by: JobListSort;
      order: 'asc' | 'desc';
      value: string | number | null;
      seq: number;
      now: string;
    };

/** Where a page of the queue starts: the previous page's last item in dispatch order. */
export interface QueueCursor {
  priority: number;
  seq: number;
}

/** A page of a list: the items, how many match in all, and where the next page starts (null: none). */
export interface ListPage<C> {
  items: Job[];
  total: number;
  next: C | null;
}

/** `toISOString()` output: the only form of a sorted cursor's `now` (it is written into SQL as a literal). */
export const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The terms of a search: whitespace-separated words, or a "quoted phrase" as one term. */
export function searchTerms(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]).filter(Boolean);
}

/**
 * One part of a sorted list: the jobs matching `where`, read in order off `index` and only as far as
 * a page needs; `value` is their sort key (SQL over alias `j`; `:now` stands for the first page's
 * read time), null for the part without one — it comes last in either order.
 */
interface SortPart {
  index: string;
  where: string;
  value: string | null;
}

/**
 * A sort by a column (`collate` as its index has it): the jobs with a value, then those without.
 * The nullable ones are text: "has a value" is written `>= ''`, a range of the index that starts
 * past its NULLs (for IS NOT NULL SQLite would walk through them, and most jobs have no name).
 */
function columnSort(column: string, index: string, nullable: boolean, collate = ''): SortPart[] {
  const value = `j.${column}${collate}`;
  if (!nullable) return [{ index, where: '1', value }];
  return [
    { index, where: `${value} >= ''`, value },
    { index, where: `j.${column} IS NULL`, value: null },
  ];
}

/** The parts of each sort (see migration JobSortIndexes for the indexes). */
const SORT_PARTS: Record<JobListSort, SortPart[]> = {
  // Submit order: a job's seq is taken in its submit's transaction, so it orders as submitted_at
  // does (but for the clock being set back) with one index fewer to keep on every submit.
  submitted_at: [{ index: 'idx_jobs_seq', where: '1', value: 'j.seq' }],
  started_at: columnSort('started_at', 'idx_jobs_started_at', true),
  ended_at: columnSort('ended_at', 'idx_jobs_ended_at', true),
  name: columnSort('name', 'idx_jobs_name', true, ' COLLATE NOCASE'),
  status: columnSort('status', 'idx_jobs_status_seq', false),
  job_type: columnSort('job_type', 'idx_jobs_job_type', false),
  priority: columnSort('priority', 'idx_jobs_priority', false),
  // In milliseconds (rounded: a difference of julian days is off by microseconds, which would order
  // equal runtimes at random). Ended jobs off an index of their runtime; the few still going are
  // ordered as read (their runtime grows with the clock); jobs that never started have none.
  runtime: [
    {
      index: 'idx_jobs_runtime',
      where: 'j.started_at IS NOT NULL AND j.ended_at IS NOT NULL',
      value: 'round((julianday(j.ended_at) - julianday(j.started_at)) * 86400000)',
    },
    {
      index: 'idx_jobs_running_since',
      where: 'j.started_at IS NOT NULL AND j.ended_at IS NULL',
      value: 'round((julianday(:now) - julianday(j.started_at)) * 86400000)',
    },
    { index: 'idx_jobs_started_at', where: 'j.started_at IS NULL', value: null },
  ],
};

/** The filters other than status as SQL conditions over alias `j` (each with a leading AND), and their parameters in order. */
function filterSql(filter: JobListFilter): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const where = (condition: string, ...values: unknown[]) => {
    conditions.push(` AND ${condition}`);
    params.push(...values);
  };
  // `held` stays set on a job that ended held (see toJob): only a queued one is held.
  if (filter.heldOnly) where("(j.status != 'queued' OR j.held)");
  if (filter.arrayId) where('j.array_id = ?', filter.arrayId);
  if (filter.jobType) where('j.job_type = ?', filter.jobType);
  if (filter.submittedAfter) where('j.submitted_at >= ?', filter.submittedAfter);
  if (filter.submittedBefore) where('j.submitted_at < ?', filter.submittedBefore);
  // Parameters are matched on their values (json_tree's atoms), not on the JSON text with its keys.
  // A word JSON does not escape is in that text too: checking it first skips most json_tree walks
  // (a search that matches nothing: 27 → 5 ms over 10,000 jobs).
  for (const word of searchTerms(filter.text ?? '')) {
    const like = "LIKE ? ESCAPE '\\'";
    const values = `EXISTS (SELECT 1 FROM json_tree(j.job_params) p WHERE p.atom ${like})`;
    // eslint-disable-next-line no-control-regex -- JSON escapes exactly these
    const inText = !/["\\\u0000-\u001f]/.test(word);
    const pattern = containsPattern(word);
    where(
      `(j.name ${like} OR j.id ${like} OR j.array_id ${like} OR j.error ${like} OR ${inText ? `(j.job_params ${like} AND ${values})` : values})`,
      ...Array<string>(inText ? 6 : 5).fill(pattern),
    );
  }
  return { sql: conditions.join(''), params };
}

/** A cleanup filter's conditions (` AND …`) and their parameters. */
function cleanupConditions({ endedBefore, statuses }: CleanupFilter): { sql: string; params: string[] } {
  let sql = '';
  const params: string[] = [];
  if (endedBefore !== undefined) {
    sql += ' AND ended_at < ?';
    params.push(endedBefore);
  }
  if (statuses?.length) {
    sql += ` AND status IN (${statuses.map(() => '?').join(', ')})`;
    params.push(...statuses);
  }
  return { sql, params };
}

/** The terminal statuses as an SQL list. */
const FINISHED_SQL = TERMINAL_STATUSES.map((status) => `'${status}'`).join(', ');
/** The ids queued jobs list in their depends_on (SQLite JSON1 over the queued dependents' partial index). */
const WAITED_ON_BY_QUEUED =
  "SELECT json_extract(d.value, '$.queue_id') FROM jobs q INDEXED BY idx_jobs_queued_dependents, json_each(q.depends_on) d " +
  "WHERE q.status = 'queued' AND q.depends_on != '[]'";

/**
 * Inserts a job, appending it to the queue order: its `seq` is one past the highest (writes are
 * serialized), so a replica replaying the same inserts and deletes gets the same numbers.
 */
export async function insertJobRow(
  tx: Tx,
  job: Job,
  idempotencyRequest: SubmitRequest | null = null,
): Promise<void> {
  const [{ next }] = await tx.query<[{ next: number }]>('SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM jobs');
  await insertRow(tx, JobEntity, { ...toRow(job, idempotencyRequest), seq: next });
}

/** Job rows. Status changes are compare-and-set so a terminal state is never overwritten. */
@Injectable()
export class JobRepository {
  constructor(private readonly db: Database) {}

  /** `idempotencyRequest`: the whole request, kept with the job that carries its Idempotency-Key. */
  async insert(tx: Tx, job: Job, idempotencyRequest: SubmitRequest | null = null): Promise<void> {
    await insertJobRow(tx, job, idempotencyRequest);
  }

  async get(id: string, tx?: Tx): Promise<Job | null> {
    const [row] = await selectRows(tx ?? this.db.manager, JobEntity, { id });
    return row ? toJob(row) : null;
  }

  async findByIdempotencyKey(tx: Tx, key: string): Promise<Job | null> {
    return (await this.findIdempotentSubmit(tx, key))?.job ?? null;
  }

  /** The job submitted with this Idempotency-Key and the request it kept (null for an older row). */
  async findIdempotentSubmit(
    tx: Tx,
    key: string,
  ): Promise<{ job: Job; request: SubmitRequest | null } | null> {
    const [row] = await selectRows(tx, JobEntity, { idempotency_key: key });
    if (!row) return null;
    const request =
      row.idempotency_request === null ? null : (JSON.parse(row.idempotency_request) as SubmitRequest);
    return { job: toJob(row), request };
  }

  async withStatus(statuses: readonly JobStatus[], tx?: Tx): Promise<Job[]> {
    const rows = await (tx ?? this.db.manager).find(JobEntity, {
      where: { status: In([...statuses]) },
      order: { priority: 'DESC', seq: 'ASC' },
    });
    return rows.map(toJob);
  }

  /**
   * Just what placement needs, in queue order; cheap enough to run on every scheduling pass. `tx`:
   * as that transaction sees it (a submit placing its own job).
   */
  async queuedForPlacement(tx?: Tx): Promise<QueuedForPlacement[]> {
    return this.queuedRows("status = 'queued' ORDER BY priority DESC, seq ASC", '', tx);
  }

  /**
   * The queued jobs that wait for others, in submit order (a partial index: the rest of the queue is
   * not read). Named, because without table statistics SQLite picks the (status, seq) index and
   * reads every queued row — 1.2 ms per paused pass at 8,000 queued.
   */
  async queuedWithDependencies(): Promise<QueuedForPlacement[]> {
    return this.queuedRows(
      "status = 'queued' AND depends_on != '[]' ORDER BY seq ASC",
      'INDEXED BY idx_jobs_queued_dependents',
    );
  }

  private async queuedRows(whereAndOrder: string, indexedBy = '', tx?: Tx): Promise<QueuedForPlacement[]> {
    const rows: Array<
      Omit<QueuedForPlacement, 'depends_on' | 'held' | 'preempted_note'> & {
        depends_on: string;
        held: number | boolean;
        error: string | null;
      }
    > = await (tx ?? this.db.manager).query(
      'SELECT id, priority, requested_gpus, gpu_profile, seq, depends_on, array_id, array_max_running, ' +
        `time_limit_s, kill_grace_s, submitted_at, preempted_at, error, held, held_ms FROM jobs ${indexedBy} WHERE ${whereAndOrder}`,
    );
    return rows.map(({ error, ...r }) => ({
      ...r,
      preempted_note: preemptedNote({ preempted_at: r.preempted_at, error }),
      // SQLite's boolean is 0 / 1 in a raw query.
      held: Boolean(r.held),
      // Most jobs have none: skip the parse.
      depends_on: r.depends_on === '[]' ? [] : (JSON.parse(r.depends_on) as JobDependency[]),
    }));
  }

  /** Whether a job other than `id` is queued and not held (a held one is placed nowhere: it is no reason to wait). */
  async anyQueuedBesides(tx: Tx, id: string): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      "SELECT 1 FROM jobs WHERE status = 'queued' AND NOT held AND id != ? LIMIT 1",
      [id],
    );
    return rows.length > 0;
  }

  /**
   * Status, whether it was launched, and when it started and ended, of each of `ids` that exists
   * (what dependency conditions look at, and since when they are met).
   */
  async dependencyTargets(ids: Iterable<string>, tx?: Tx): Promise<Map<string, DependencyRecord>> {
    const all = [...new Set(ids)];
    const out = new Map<string, DependencyRecord>();
    const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));
    for (let i = 0; i < all.length; i += IN_CHUNK) {
      const rows = await (tx ?? this.db.manager).find(JobEntity, {
        select: { id: true, status: true, pid: true, started_at: true, ended_at: true },
        where: { id: In(all.slice(i, i + IN_CHUNK)) },
      });
      for (const r of rows)
        out.set(r.id, {
          status: r.status as JobStatus,
          launched: r.pid !== null,
          started_ms: ms(r.started_at),
          ended_ms: ms(r.ended_at),
        });
    }
    return out;
  }

  /** The `depends_on` of each of `ids` that exists (for cycle checks). */
  async dependenciesOf(ids: readonly string[], tx?: Tx): Promise<Map<string, JobDependency[]>> {
    const out = new Map<string, JobDependency[]>();
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const rows = await (tx ?? this.db.manager).find(JobEntity, {
        select: { id: true, depends_on: true },
        where: { id: In(ids.slice(i, i + IN_CHUNK)) },
      });
      for (const r of rows) out.set(r.id, JSON.parse(r.depends_on) as JobDependency[]);
    }
    return out;
  }

  /** Active (starting, running, terminating) jobs per array, for max_running. */
  async activeCountsByArray(tx?: Tx): Promise<Map<string, number>> {
    const rows: Array<{ array_id: string; n: number }> = await (tx ?? this.db.manager).query(
      `SELECT array_id, COUNT(*) AS n FROM jobs WHERE array_id IS NOT NULL AND status IN (${ACTIVE_STATUSES.map((s) => `'${s}'`).join(', ')}) GROUP BY array_id`,
    );
    return new Map(rows.map((r) => [r.array_id, r.n]));
  }

  /** Jobs that list `queueId` in their depends_on, oldest first. */
  async dependents(queueId: string, tx?: Tx): Promise<Job[]> {
    const rows = await (tx ?? this.db.manager)
      .createQueryBuilder(JobEntity, 'j')
      .where("j.depends_on LIKE :pattern ESCAPE '\\'", { pattern: containsPattern(`"${queueId}"`) })
      .orderBy('j.seq', 'ASC')
      .getMany();
    return rows.map(toJob).filter((j) => j.depends_on.some((d) => d.queue_id === queueId));
  }

  /** Every job of an array, by index. */
  async arrayJobs(arrayId: string, tx?: Tx): Promise<Job[]> {
    const rows = await (tx ?? this.db.manager).find(JobEntity, {
      where: { array_id: arrayId },
      order: { array_index: 'ASC' },
    });
    return rows.map(toJob);
  }

  /** The ids of an array's jobs in index order (no other column read: an array may hold 10,000). */
  async arrayJobIds(arrayId: string, tx: Tx): Promise<string[]> {
    const rows: Array<{ id: string }> = await tx.query(
      'SELECT id FROM jobs WHERE array_id = ? ORDER BY array_index',
      [arrayId],
    );
    return rows.map((r) => r.id);
  }

  /** Of `ids`, those a job retries already: id → its newest retry (its id and array, if any). */
  async retriesOf(
    ids: readonly string[],
    tx?: Tx,
  ): Promise<Map<string, { queue_id: string; array_id: string | null }>> {
    const out = new Map<string, { queue_id: string; array_id: string | null }>();
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const rows = await (tx ?? this.db.manager).find(JobEntity, {
        select: { id: true, retry_of: true, array_id: true },
        where: { retry_of: In(ids.slice(i, i + IN_CHUNK)) },
        order: { seq: 'ASC' },
      });
      for (const row of rows) out.set(row.retry_of!, { queue_id: row.id, array_id: row.array_id });
    }
    return out;
  }

  /**
   * One page of jobs matching `filter` after `filter.after`, how many match in all, and where the
   * next page starts. In the default order, unfinished jobs come first, then finished ones, each
   * newest first (by submit order, not by the clock): each status is read newest first straight off
   * the (status, seq) index from the cursor on, at most limit + 1 of its rows, and the runs are merged
   * in SQL, so a page costs about `limit` index entries per status and `limit` rows wherever it is
   * in the list, never a sort of every record (plus one count of the matches per status). A job that
   * ends between two pages may show on both (it moved to the finished part); none is skipped. With
   * `sort`, one query ordered by that column (empty values last, ties newest first).
   */
  async list(filter: JobListFilter): Promise<ListPage<JobListCursor>> {
    if (filter.sort) return this.listSorted(filter, filter.sort);
    const where = filterSql(filter);
    const counts = await this.countsByStatus(filter, where);
    const total = counts.reduce((sum, c) => sum + c.n, 0);
    const { limit } = filter;
    const after = filter.after?.kind === 'default' ? filter.after : undefined;
    const runs: string[] = [];
    const params: unknown[] = [];
    for (const { status } of counts) {
      const finished = !UNFINISHED_STATUSES.includes(status);
      // The part of the order before the cursor's is behind us; within its part, only older jobs.
      if (after && !finished && after.finished) continue;
      const older = after !== undefined && finished === after.finished;
      runs.push(
        `SELECT * FROM (SELECT j.seq AS seq, ${finished ? 1 : 0} AS finished FROM jobs j ` +
          `WHERE j.status = ?${where.sql}${older ? ' AND j.seq < ?' : ''} ORDER BY j.seq DESC LIMIT ?)`,
      );
      params.push(status, ...where.params, ...(older ? [after.seq] : []), limit + 1);
    }
    if (!runs.length || limit <= 0) return { items: [], total, next: null };
    const rows = await queryRows(
      this.db.manager,
      JobEntity,
      `SELECT j.* FROM (${runs.join(' UNION ALL ')} ORDER BY finished, seq DESC LIMIT ?) page ` +
        'JOIN jobs j ON j.seq = page.seq ORDER BY page.finished, page.seq DESC',
      [...params, limit + 1],
    );
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return {
      items: rows.slice(0, limit).map(toJob),
      total,
      next: last
        ? {
            kind: 'default',
            finished: !UNFINISHED_STATUSES.includes(last.status as JobStatus),
            seq: last.seq,
          }
        : null,
    };
  }

  /**
   * How many jobs match `filter` (`where`: its filterSql), per status with any. Filtered by status
   * alone, off the counts triggers keep (O(1)); otherwise counted.
   */
  private async countsByStatus(
    filter: JobListFilter,
    where: ReturnType<typeof filterSql>,
  ): Promise<Array<{ status: JobStatus; n: number }>> {
    const wanted = filter.statuses?.length ? filter.statuses : [...JOB_STATUSES];
    const statusList = wanted.map(() => '?').join(', ');
    return this.db.manager.query(
      where.sql
        ? `SELECT j.status AS status, COUNT(*) AS n FROM jobs j WHERE j.status IN (${statusList})${where.sql} GROUP BY j.status`
        : `SELECT status, n FROM job_status_counts WHERE status IN (${statusList}) AND n > 0`,
      [...wanted, ...where.params],
    );
  }

  /**
   * A page of the list in `sort` order after the cursor: each part of the sort (see SORT_PARTS)
   * read off its index from the cursor's key on, at most a page of each, merged. Ties go by submit
   * order, reversed with the order (so `desc` is exactly `asc` reversed); jobs without a value last.
   */
  private async listSorted(
    filter: JobListFilter,
    sort: NonNullable<JobListFilter['sort']>,
  ): Promise<ListPage<JobListCursor>> {
    const where = filterSql(filter);
    const statuses = filter.statuses?.length
      ? ` AND j.status IN (${filter.statuses.map(() => '?').join(', ')})`
      : '';
    const filterParams = [...where.params, ...(filter.statuses ?? [])];
    const total = (await this.countsByStatus(filter, where)).reduce((sum, c) => sum + c.n, 0);
    const after = filter.after?.kind === 'sorted' ? filter.after : undefined;
    // The time of the first page's read, as a literal (a running job's runtime is measured to it).
    const now = after?.now ?? new Date().toISOString();
    if (!ISO_INSTANT.test(now)) throw new Error(`not an ISO instant: ${now}`);
    const dir = sort.order === 'asc' ? 'ASC' : 'DESC';
    const beyond = sort.order === 'asc' ? '>' : '<';
    const limit = filter.limit + 1;
    const reads: string[] = [];
    const params: unknown[] = [];
    const read = (part: SortPart, value: string | null, keyset: string, keysetParams: unknown[]) => {
      const empty = value === null ? 1 : 0;
      reads.push(
        `SELECT * FROM (SELECT j.seq AS seq, ${empty} AS empty, ${value ?? 'NULL'} AS sort_value ` +
          `FROM jobs j INDEXED BY ${part.index} WHERE ${part.where}${where.sql}${statuses}${keyset} ` +
          `ORDER BY ${value === null ? '' : `${value} ${dir}, `}j.seq ${dir} LIMIT ?)`,
      );
      params.push(...filterParams, ...keysetParams, limit);
    };
    for (const part of SORT_PARTS[sort.by]) {
      const value = part.value?.replace(':now', `'${now}'`) ?? null;
      if (!after) read(part, value, '', []);
      else if (after.value === null) {
        // Past every value: only the jobs without one beyond the cursor's (later ascending, earlier descending).
        if (value === null) read(part, value, ` AND j.seq ${beyond} ?`, [after.seq]);
      } else if (value === null) read(part, value, '', []);
      else {
        // The cursor's value with a later seq, then the values beyond it: each a range of the index.
        read(part, value, ` AND ${value} = ? AND j.seq ${beyond} ?`, [after.value, after.seq]);
        read(part, value, ` AND ${value} ${beyond} ?`, [after.value]);
      }
    }
    if (!reads.length || filter.limit <= 0) return { items: [], total, next: null };
    const collate = sort.by === 'name' ? ' COLLATE NOCASE' : '';
    const order = (of: string) => `${of}empty ASC, ${of}sort_value${collate} ${dir}, ${of}seq ${dir}`;
    const rows = await queryRows(
      this.db.manager,
      JobEntity,
      `SELECT j.*, page.sort_value AS sort_value FROM (${reads.join(' UNION ALL ')} ORDER BY ${order('')} LIMIT ?) page ` +
        `JOIN jobs j ON j.seq = page.seq ORDER BY ${order('page.')}`,
      [...params, limit],
      ['sort_value'],
    );
    const last = rows.length > filter.limit ? rows[filter.limit - 1] : undefined;
    return {
      items: rows.slice(0, filter.limit).map(toJob),
      total,
      next: last
        ? {
            kind: 'sorted',
            by: sort.by,
            order: sort.order,
            // As SQL computed it (a runtime: whole milliseconds), read with the page.
            value: last.sort_value as string | number | null,
            seq: last.seq,
            now,
          }
        : null,
    };
  }

  /** How many queued jobs the user holds (off the partial index idx_jobs_held). */
  async countHeld(): Promise<number> {
    const rows: Array<{ n: number }> = await this.db.manager.query(
      "SELECT COUNT(*) AS n FROM jobs WHERE status = 'queued' AND held",
    );
    return rows[0]?.n ?? 0;
  }

  /** How many jobs hold `status` (kept by triggers: O(1)). */
  async countWithStatus(status: JobStatus): Promise<number> {
    const rows: Array<{ n: number }> = await this.db.manager.query(
      'SELECT n FROM job_status_counts WHERE status = ?',
      [status],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * One page of the queue in dispatch order (priority, then submit order) after `after`: off the
   * (status, priority DESC, seq) index, the rest of the cursor's priority then the lower ones, so a
   * page costs O(page) wherever it is in the queue.
   */
  async queuePage(limit: number, after?: QueueCursor): Promise<ListPage<QueueCursor>> {
    const total = await this.countWithStatus('queued');
    const rows = await queryRows(
      this.db.manager,
      JobEntity,
      after
        ? 'SELECT j.* FROM (SELECT * FROM (SELECT seq, priority FROM jobs ' +
            "WHERE status = 'queued' AND priority = ? AND seq > ? ORDER BY seq ASC LIMIT ?) " +
            'UNION ALL SELECT * FROM (SELECT seq, priority FROM jobs ' +
            "WHERE status = 'queued' AND priority < ? ORDER BY priority DESC, seq ASC LIMIT ?) " +
            'ORDER BY priority DESC, seq ASC LIMIT ?) page ' +
            'JOIN jobs j ON j.seq = page.seq ORDER BY page.priority DESC, page.seq ASC'
        : "SELECT * FROM jobs WHERE status = 'queued' ORDER BY priority DESC, seq ASC LIMIT ?",
      after ? [after.priority, after.seq, limit + 1, after.priority, limit + 1, limit + 1] : [limit + 1],
    );
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return {
      items: rows.slice(0, limit).map(toJob),
      total,
      next: last ? { priority: last.priority, seq: last.seq } : null,
    };
  }

  /**
   * Moves the job to `to` (with `changes`) only when the lifecycle allows it from its current state
   * (compare-and-set on the status, so a terminal state is never overwritten); returns whether it did.
   */
  async moveTo(tx: Tx, id: string, to: JobStatus, changes: Partial<Job> = {}): Promise<boolean> {
    return this.updateWhere(tx, id, sourcesOf(to), { ...changes, status: to });
  }

  /** Applies `changes` (no status change) while the job is active; returns whether it did. */
  async updateActive(tx: Tx, id: string, changes: Partial<Omit<Job, 'status'>>): Promise<boolean> {
    return this.updateWhere(tx, id, ACTIVE_STATUSES, changes);
  }

  /** terminating → queued after a preemption (see {@link preemptedChanges}); whether it did. */
  async requeuePreempted(tx: Tx, id: string, e: Parameters<typeof preemptedChanges>[0]): Promise<boolean> {
    const result = await tx.update(JobEntity, { id, status: 'terminating' }, preemptedChanges(e));
    return (result.affected ?? 0) > 0;
  }

  private async updateWhere(
    tx: Tx,
    id: string,
    from: readonly JobStatus[],
    changes: Partial<Job>,
  ): Promise<boolean> {
    const row: Partial<JobEntity> = { ...changes } as Partial<JobEntity>;
    if (changes.gpu_indices) row.gpu_indices = JSON.stringify(changes.gpu_indices);
    if (changes.mig_devices) row.mig_devices = JSON.stringify(changes.mig_devices);
    if (changes.argv) row.argv = JSON.stringify(changes.argv);
    return (await updateRows(tx, JobEntity, row, { id, status: from })) > 0;
  }

  /** queued → the row changes given (dependency_failed); false when the job is no longer queued. */
  async failQueued(tx: Tx, id: string, changes: Partial<JobEntity>): Promise<boolean> {
    const result = await tx.update(JobEntity, { id, status: 'queued' }, changes);
    return (result.affected ?? 0) > 0;
  }

  /** A queued job's new priority (its seq and submitted_at stay); false when it is no longer queued. */
  async setQueuedPriority(tx: Tx, id: string, priority: number): Promise<boolean> {
    const result = await tx.update(JobEntity, { id, status: 'queued' }, { priority });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Holds or releases a queued job with the changes of its entry (heldChanges / releasedChanges; its
   * seq and submitted_at stay); false when it is no longer queued.
   */
  async changeHold(tx: Tx, id: string, changes: Partial<JobEntity>): Promise<boolean> {
    const result = await tx.update(JobEntity, { id, status: 'queued' }, changes);
    return (result.affected ?? 0) > 0;
  }

  async setError(tx: Tx, id: string, error: string): Promise<void> {
    await tx.update(JobEntity, { id }, { error });
  }

  async delete(tx: Tx, id: string): Promise<void> {
    await tx.delete(JobEntity, { id });
  }

  /** At most `limit` ids of jobs in one of `statuses` (no particular order). */
  async idsWithStatus(statuses: readonly JobStatus[], limit: number, tx?: Tx): Promise<string[]> {
    const rows = await (tx ?? this.db.manager).find(JobEntity, {
      select: { id: true },
      where: { status: In([...statuses]) },
      take: limit,
    });
    return rows.map((r) => r.id);
  }

  /**
   * Up to `limit` finished jobs that cleanup may remove: not those a queued job still depends on
   * (a met dependency stays met only while its job's record is there to say so).
   */
  async removableFinishedIds(limit: number, tx: Tx, filter: CleanupFilter = {}): Promise<string[]> {
    const { sql, params } = cleanupConditions(filter);
    const rows: Array<{ id: string }> = await tx.query(
      `SELECT id FROM jobs WHERE status IN (${FINISHED_SQL})${sql} AND id NOT IN (${WAITED_ON_BY_QUEUED}) LIMIT ?`,
      [...params, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Finished jobs (of those `filter` admits) that queued jobs still depend on (what cleanup keeps), in submit order. */
  async finishedWaitedOn(tx: Tx, filter: CleanupFilter = {}): Promise<string[]> {
    const { sql, params } = cleanupConditions(filter);
    const rows: Array<{ id: string }> = await tx.query(
      `SELECT id FROM jobs WHERE status IN (${FINISHED_SQL})${sql} AND id IN (${WAITED_ON_BY_QUEUED}) ORDER BY seq`,
      params,
    );
    return rows.map((r) => r.id);
  }

  /** One statement; keep `ids` to a few hundred (SQLite's bound-parameter limit). */
  async deleteMany(tx: Tx, ids: readonly string[]): Promise<void> {
    if (ids.length) await tx.delete(JobEntity, { id: In([...ids]) });
  }

  async allIds(): Promise<Set<string>> {
    const rows = await this.db.manager.find(JobEntity, { select: { id: true } });
    return new Set(rows.map((r) => r.id));
  }
}
