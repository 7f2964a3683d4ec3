import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes that let list pages be read in index order instead of sorting every record: jobs of one
 * status newest first, and the queue by priority (highest first) then submit order.
 */
export class ListIndexes1796006000000 implements MigrationInterface {
  name = 'ListIndexes1796006000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "idx_jobs_status"');
    await queryRunner.query('CREATE INDEX "idx_jobs_status_seq" ON "jobs" ("status", "seq")');
    await queryRunner.query('DROP INDEX "idx_jobs_queue_order"');
    await queryRunner.query(
      'CREATE INDEX "idx_jobs_queue_order" ON "jobs" ("status", "priority" DESC, "seq")',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "idx_jobs_queue_order"');
    await queryRunner.query('CREATE INDEX "idx_jobs_queue_order" ON "jobs" ("status", "priority", "seq")');
    await queryRunner.query('DROP INDEX "idx_jobs_status_seq"');
    await queryRunner.query('CREATE INDEX "idx_jobs_status" ON "jobs" ("status")');
  }
}
