import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A queued job can be held by the user (POST /api/queue/{id}/hold): it keeps its place and age but is
 * never placed until released. Existing rows are not held.
 */
export class JobHeld1796021100000 implements MigrationInterface {
  name = 'JobHeld1796021100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "held" boolean NOT NULL DEFAULT (0)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "held"');
  }
}
