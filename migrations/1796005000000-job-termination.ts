import { MigrationInterface, QueryRunner } from 'typeorm';

/** Why a job ended (or is ending): the persisted stop request or what its exit said; its kill grace. */
export class JobTermination1796005000000 implements MigrationInterface {
  name = 'JobTermination1796005000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "termination_reason" text');
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "termination_requested_at" text');
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "kill_grace_s" integer');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "kill_grace_s"');
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "termination_requested_at"');
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "termination_reason"');
  }
}
