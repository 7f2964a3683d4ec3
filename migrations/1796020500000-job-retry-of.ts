import { MigrationInterface, QueryRunner } from 'typeorm';

/** A retried job's copy names the job it retries, so the same failure is never retried twice. */
export class JobRetryOf1796020500000 implements MigrationInterface {
  name = 'JobRetryOf1796020500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "retry_of" text');
    await queryRunner.query('CREATE INDEX "idx_jobs_retry_of" ON "jobs" ("retry_of") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "idx_jobs_retry_of"');
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "retry_of"');
  }
}
