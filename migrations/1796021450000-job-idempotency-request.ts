import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole request a job was submitted with under an `Idempotency-Key` (JSON, on the job that
 * carries the key: an array's first job), so that a retry is compared with all of it — array size,
 * sweep, held, ... — not only with what the job's row keeps. Existing rows have none: a retry of
 * one is compared with its row's fields, as before.
 */
export class JobIdempotencyRequest1796021450000 implements MigrationInterface {
  name = 'JobIdempotencyRequest1796021450000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "idempotency_request" text');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "idempotency_request"');
  }
}
