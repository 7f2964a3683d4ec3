import { MigrationInterface, QueryRunner } from 'typeorm';

/** Preemptible jobs: the flag, the attempt count after preemptions and when it was last preempted. */
export class JobPreemption1796020200000 implements MigrationInterface {
  name = 'JobPreemption1796020200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "preemptible" boolean NOT NULL DEFAULT (0)');
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "restart_count" integer NOT NULL DEFAULT (0)');
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "preempted_at" text');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "preempted_at"');
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "restart_count"');
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "preemptible"');
  }
}
