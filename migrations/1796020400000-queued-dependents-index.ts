import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A partial index of the queued jobs that wait for others: while the scheduler is paused, each pass
 * settles their dependencies (reasons, failures) without reading the rest of the queue.
 */
export class QueuedDependentsIndex1796020400000 implements MigrationInterface {
  name = 'QueuedDependentsIndex1796020400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "idx_jobs_queued_dependents" ON "jobs" ("seq") WHERE status = 'queued' AND depends_on != '[]'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "idx_jobs_queued_dependents"');
  }
}
