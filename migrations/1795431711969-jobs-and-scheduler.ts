import { MigrationInterface, QueryRunner } from 'typeorm';

export class JobsAndScheduler1795431711969 implements MigrationInterface {
  name = 'JobsAndScheduler1795431711969';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "jobs" ("id" text PRIMARY KEY NOT NULL, "job_type" text NOT NULL, "name" text, "priority" integer NOT NULL, "requested_gpus" integer NOT NULL, "job_params" text NOT NULL, "cwd" text NOT NULL, "env" text NOT NULL, "status" text NOT NULL, "submitted_at" text NOT NULL, "started_at" text, "ended_at" text, "gpu_indices" text NOT NULL, "pid" integer, "proc_start_time" text, "exit_code" integer, "error" text, "idempotency_key" text)',
    );
    await queryRunner.query('CREATE INDEX "idx_jobs_status" ON "jobs" ("status") ');
    await queryRunner.query('CREATE UNIQUE INDEX "idx_jobs_idempotency_key" ON "jobs" ("idempotency_key") ');
    await queryRunner.query(
      'CREATE TABLE "scheduler_state" ("id" integer PRIMARY KEY NOT NULL, "enabled" boolean NOT NULL, "updated_at" text NOT NULL)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "scheduler_state"');
    await queryRunner.query('DROP INDEX "idx_jobs_idempotency_key"');
    await queryRunner.query('DROP INDEX "idx_jobs_status"');
    await queryRunner.query('DROP TABLE "jobs"');
  }
}
