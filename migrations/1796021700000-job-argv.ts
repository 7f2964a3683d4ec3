import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `jobs.argv`: the command line a job's last attempt was started with, as its job type built it
 * (JSON array; null before a start). Jobs started before it stay null: their argv was never stored.
 */
export class JobArgv1796021700000 implements MigrationInterface {
  name = 'JobArgv1796021700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "argv" text');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "argv"');
  }
}
