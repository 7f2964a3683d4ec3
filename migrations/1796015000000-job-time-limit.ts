import { MigrationInterface, QueryRunner } from 'typeorm';

/** A job's run-time cap in seconds (null: none), resolved at submit. */
export class JobTimeLimit1796015000000 implements MigrationInterface {
  name = 'JobTimeLimit1796015000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "time_limit_s" integer');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "time_limit_s"');
  }
}
