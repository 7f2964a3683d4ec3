import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteDataSource, Database, openDatabase } from '@trainyard/database';
import type SqliteDatabase from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../../migrations';
import { JOB_SORTS } from '../jobs.dto';
import { JobEntity } from './job.entity';
import { JobListSort, JobRepository } from './job.repository';

/**
 * The reads a scheduling pass or a list request makes, on a fresh database as a server runs it (no
 * ANALYZE statistics, so SQLite's planner goes by its defaults): each must read through an index
 * that bounds it, never every job or every queued job. A wrong pick is invisible in results and
 * shows only as time — a paused pass read all 8,000 queued rows to find the few with dependencies.
 */
let dir: string;
let dataSource: DataSource;
let repo: JobRepository;
let connection: SqliteDatabase.Database;

const QUEUED = 3_000;
const FINISHED = 3_000;
const RUNNING = 5;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trainyard-job-plans-'));
  dataSource = createSqliteDataSource({
    file: join(dir, 'db.sqlite'),
    entities: [JobEntity],
    migrations: MIGRATIONS,
  });
  await openDatabase(dataSource);
  const db = new Database(dataSource);
  repo = new JobRepository(db);
  connection = db.connection;
  const insert = connection.prepare(
    'INSERT INTO jobs (id, name, job_type, priority, requested_gpus, job_params, cwd, env, status, submitted_at, ' +
      'started_at, ended_at, gpu_indices, mig_devices, seq, depends_on, preemptible, restart_count) ' +
      "VALUES (?, ?, 'command', ?, 0, '{\"command\":[\"true\"]}', '/tmp', '{}', ?, ?, ?, ?, '[]', '[]', ?, ?, 0, 0)",
  );
  const at = (s: number) => new Date(Date.UTC(2026, 11, 1) + s * 1000).toISOString();
  connection.transaction(() => {
    // Most jobs have no name, as most users submit them.
    for (let i = 1; i <= FINISHED; i++)
      insert.run(
        `d${i}`,
        i % 10 ? null : `run ${i % 70}`,
        i % 5,
        'done',
        at(i),
        at(i),
        at(i + (i % 17)),
        i,
        '[]',
      );
    // A few still running: their runtime is measured to the first page's read.
    for (let i = 1; i <= RUNNING; i++)
      insert.run(
        `r${i}`,
        `run ${i}`,
        1,
        'running',
        at(FINISHED + QUEUED + i),
        at(FINISHED + QUEUED + i),
        null,
        FINISHED + QUEUED + i,
        '[]',
      );
    for (let i = 1; i <= QUEUED; i++) {
      // One queued job in a thousand waits for a finished one.
      const deps = i % 1000 === 0 ? JSON.stringify([{ queue_id: `d${i}`, condition: 'afterok' }]) : '[]';
      insert.run(`q${i}`, null, i % 3, 'queued', at(FINISHED + i), null, null, FINISHED + i, deps);
    }
  })();
});
afterAll(async () => {
  await dataSource.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** The query plan of every statement `read` runs on the connection (one line per plan step). */
async function plansOf(read: () => Promise<unknown>): Promise<string[][]> {
  const ran: Array<{ sql: string; params: unknown[] }> = [];
  const prepare = connection.prepare.bind(connection);
  const spy = jest.spyOn(connection, 'prepare').mockImplementation((sql: string) => {
    const statement = prepare(sql);
    for (const method of ['all', 'get', 'run', 'iterate'] as const) {
      const original = statement[method].bind(statement) as (...params: unknown[]) => unknown;
      (statement as unknown as Record<string, unknown>)[method] = (...params: unknown[]) => {
        ran.push({ sql, params });
        return original(...params);
      };
    }
    return statement;
  });
  try {
    await read();
  } finally {
    spy.mockRestore();
  }
  return ran
    .filter(({ sql }) => /^\s*SELECT/i.test(sql))
    .map(({ sql, params }) =>
      (connection.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map(
        (step) => step.detail,
      ),
    );
}

/** A plan step reading the whole jobs table, or every row of one status through the status index. */
function unbounded(plans: string[][]): string[] {
  return plans.flat().filter((step) => /^SCAN (jobs|j|q)\b(?!.*USING (COVERING )?INDEX)/.test(step));
}

describe('job reads on a fresh database (no planner statistics)', () => {
  it('a paused pass reads only the queued jobs with dependencies, off their partial index', async () => {
    const plans = await plansOf(async () => {
      expect(await repo.queuedWithDependencies()).toHaveLength(QUEUED / 1000);
    });
    expect(plans).toHaveLength(1);
    expect(plans[0].join('; ')).toContain('idx_jobs_queued_dependents');
  });

  it('cleanup finds the jobs queued ones wait for off the same partial index', async () => {
    await dataSource.transaction(async (tx) => {
      const plans = await plansOf(async () => {
        expect(await repo.finishedWaitedOn(tx)).toEqual(['d1000', 'd2000', 'd3000']);
        expect(await repo.removableFinishedIds(10, tx)).toHaveLength(10);
      });
      for (const plan of plans) {
        // The inner read of depends_on lists: the queued dependents only.
        const dependents = plan.filter((step) => /\bq\b/.test(step) && !step.includes('json_each'));
        expect(dependents.join('; ')).toContain('idx_jobs_queued_dependents');
      }
      expect(unbounded(plans)).toEqual([]);
    });
  });

  /** The sort indexes without jobs that lack the key (columns never empty, partial indexes). */
  const WALKABLE = [
    'idx_jobs_seq',
    'idx_jobs_status_seq',
    'idx_jobs_job_type',
    'idx_jobs_priority',
    'idx_jobs_runtime',
    'idx_jobs_running_since',
  ];
  it.each(JOB_SORTS.flatMap((by) => [[by, 'asc'] as const, [by, 'desc'] as const]))(
    'a page sorted by %s %s is read in order off its index from the cursor on, never sorted whole',
    async (by, order) => {
      const sort = { by: by, order };
      const plans = await plansOf(async () => {
        const first = await repo.list({ limit: 50, sort });
        await repo.list({ limit: 50, sort, after: first.next! });
        await repo.list({ limit: 50, sort, statuses: ['done'], after: first.next! });
      });
      // Every read of jobs is a range of an index (SEARCH), or an in-order walk (SCAN) of one that
      // holds only jobs with a value — an index-less read would show as SCAN j, and a walk of a
      // nullable column's index would pass over every job without one first.
      const reads = plans.flat().filter((step) => /^(SCAN|SEARCH) j\b/.test(step));
      expect(reads.length).toBeGreaterThan(0);
      for (const step of reads)
        if (step.startsWith('SCAN'))
          expect(step).toMatch(new RegExp(`USING (COVERING )?INDEX (${WALKABLE.join('|')})$`));
        else expect(step).toMatch(/USING (COVERING )?INDEX/);
    },
  );

  it.each(JOB_SORTS)(
    'pages sorted by %s put together are every job in order, ties in submit order',
    async (by) => {
      const all = (await repo.list({ limit: 100_000 })).items;
      expect(all).toHaveLength(FINISHED + QUEUED + RUNNING);
      const rows = connection.prepare('SELECT id, seq FROM jobs').all() as Array<{ id: string; seq: number }>;
      const seqs = new Map(rows.map((r) => [r.id, r.seq]));
      const now = Date.now();
      const key = (j: (typeof all)[number]): string | number | null => {
        if (by === 'name') return j.name?.toLowerCase() ?? null;
        if (by !== 'runtime') return j[by as Exclude<JobListSort, 'runtime'>];
        if (!j.started_at) return null;
        return (j.ended_at ? Date.parse(j.ended_at) : now) - Date.parse(j.started_at);
      };
      for (const order of ['asc', 'desc'] as const) {
        const sign = order === 'asc' ? 1 : -1;
        const expected = all
          .map((j) => ({ j, k: key(j) }))
          .sort((a, b) => {
            if ((a.k === null) !== (b.k === null)) return a.k === null ? 1 : -1;
            const byKey = a.k === null || a.k === b.k ? 0 : a.k < b.k! ? -1 : 1;
            return sign * (byKey || seqs.get(a.j.id)! - seqs.get(b.j.id)!);
          })
          .map(({ j }) => j.id);
        const read: string[] = [];
        let page = await repo.list({ limit: 250, sort: { by: by, order } });
        for (;;) {
          read.push(...page.items.map((j) => j.id));
          if (!page.next) break;
          page = await repo.list({ limit: 250, sort: { by: by, order }, after: page.next });
        }
        expect(read).toEqual(expected);
      }
    },
  );

  it('list and queue pages read through an index, not the table', async () => {
    const plans = await plansOf(async () => {
      const first = await repo.list({ limit: 50 });
      await repo.list({ limit: 50, after: first.next! });
      const queue = await repo.queuePage(50);
      await repo.queuePage(50, queue.next!);
    });
    expect(plans.length).toBeGreaterThanOrEqual(4);
    expect(unbounded(plans)).toEqual([]);
  });
});
