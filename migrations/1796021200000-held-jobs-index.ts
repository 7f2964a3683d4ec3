import { MigrationInterface, QueryRunner } from 'typeorm';

/** A partial index of the held jobs: GET /api/queue/scheduler counts them (`held_count`) on every read. */
export class HeldJobsIndex1796021200000 implements MigrationInterface {
  name = 'HeldJobsIndex1796021200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "idx_jobs_held" ON "jobs" ("seq") WHERE status = 'queued' AND held`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "idx_jobs_held"');
  }
}
