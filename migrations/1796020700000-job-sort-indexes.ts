import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One index per sort of the job list (`GET /api/jobs?sort=`), each ending in `seq` (the tie-break),
 * so a sorted page is read in order off its index after the cursor's key: O(page), not a sort of
 * every job. A runtime is its milliseconds from started_at to ended_at for ended jobs (an index on
 * that expression) and grows with the clock for the others (the few started, not ended, in their own
 * partial index). Status pages read idx_jobs_status_seq; submit order is the seq (idx_jobs_seq).
 */
const INDEXES: Array<[name: string, definition: string]> = [
  ['idx_jobs_started_at', '("started_at", "seq")'],
  ['idx_jobs_ended_at', '("ended_at", "seq")'],
  ['idx_jobs_name', '("name" COLLATE NOCASE, "seq")'],
  ['idx_jobs_job_type', '("job_type", "seq")'],
  ['idx_jobs_priority', '("priority", "seq")'],
  [
    'idx_jobs_runtime',
    '(round((julianday("ended_at") - julianday("started_at")) * 86400000), "seq") WHERE "started_at" IS NOT NULL AND "ended_at" IS NOT NULL',
  ],
  ['idx_jobs_running_since', '("seq") WHERE "started_at" IS NOT NULL AND "ended_at" IS NULL'],
];

export class JobSortIndexes1796020700000 implements MigrationInterface {
  name = 'JobSortIndexes1796020700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [name, definition] of INDEXES)
      await queryRunner.query(`CREATE INDEX "${name}" ON "jobs" ${definition}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [name] of INDEXES) await queryRunner.query(`DROP INDEX "${name}"`);
  }
}
