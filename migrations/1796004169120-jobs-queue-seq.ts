import { MigrationInterface, QueryRunner } from 'typeorm';

/** jobs.seq: the queue's insertion order, independent of the wall clock. */
export class JobsQueueSeq1796004169120 implements MigrationInterface {
  name = 'JobsQueueSeq1796004169120';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "idx_jobs_idempotency_key"');
    await queryRunner.query('DROP INDEX "idx_jobs_status"');
    await queryRunner.query(
      'CREATE TABLE "temporary_jobs" ("id" text PRIMARY KEY NOT NULL, "job_type" text NOT NULL, "name" text, "priority" integer NOT NULL, "requested_gpus" integer NOT NULL, "job_params" text NOT NULL, "cwd" text NOT NULL, "env" text NOT NULL, "status" text NOT NULL, "submitted_at" text NOT NULL, "started_at" text, "ended_at" text, "gpu_indices" text NOT NULL, "pid" integer, "proc_start_time" text, "exit_code" integer, "error" text, "idempotency_key" text, "seq" integer NOT NULL)',
    );
    // Existing rows are numbered in the order they were submitted (by the clock of the day; from now
    // on the order is the insertion order whatever the clock does).
    await queryRunner.query(
      `INSERT INTO "temporary_jobs"("id", "job_type", "name", "priority", "requested_gpus", "job_params", "cwd", "env", "status", "submitted_at", "started_at", "ended_at", "gpu_indices", "pid", "proc_start_time", "exit_code", "error", "idempotency_key", "seq") SELECT "id", "job_type", "name", "priority", "requested_gpus", "job_params", "cwd", "env", "status", "submitted_at", "started_at", "ended_at", "gpu_indices", "pid", "proc_start_time", "exit_code", "error", "idempotency_key", ROW_NUMBER() OVER (ORDER BY "submitted_at", "id") FROM "jobs"`,
    );
    await queryRunner.query('DROP TABLE "jobs"');
    await queryRunner.query('ALTER TABLE "temporary_jobs" RENAME TO "jobs"');
    await queryRunner.query('CREATE UNIQUE INDEX "idx_jobs_idempotency_key" ON "jobs" ("idempotency_key") ');
    await queryRunner.query('CREATE INDEX "idx_jobs_status" ON "jobs" ("status") ');
    await queryRunner.query('CREATE UNIQUE INDEX "idx_jobs_seq" ON "jobs" ("seq") ');
    await queryRunner.query('CREATE INDEX "idx_jobs_queue_order" ON "jobs" ("status", "priority", "seq") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "idx_jobs_queue_order"');
    await queryRunner.query('DROP INDEX "idx_jobs_seq"');
    await queryRunner.query('DROP INDEX "idx_jobs_status"');
    await queryRunner.query('DROP INDEX "idx_jobs_idempotency_key"');
    await queryRunner.query('ALTER TABLE "jobs" RENAME TO "temporary_jobs"');
    await queryRunner.query(
      'CREATE TABLE "jobs" ("id" text PRIMARY KEY NOT NULL, "job_type" text NOT NULL, "name" text, "priority" integer NOT NULL, "requested_gpus" integer NOT NULL, "job_params" text NOT NULL, "cwd" text NOT NULL, "env" text NOT NULL, "status" text NOT NULL, "submitted_at" text NOT NULL, "started_at" text, "ended_at" text, "gpu_indices" text NOT NULL, "pid" integer, "proc_start_time" text, "exit_code" integer, "error" text, "idempotency_key" text)',
    );
    await queryRunner.query(
      'INSERT INTO "jobs"("id", "job_type", "name", "priority", "requested_gpus", "job_params", "cwd", "env", "status", "submitted_at", "started_at", "ended_at", "gpu_indices", "pid", "proc_start_time", "exit_code", "error", "idempotency_key") SELECT "id", "job_type", "name", "priority", "requested_gpus", "job_params", "cwd", "env", "status", "submitted_at", "started_at", "ended_at", "gpu_indices", "pid", "proc_start_time", "exit_code", "error", "idempotency_key" FROM "temporary_jobs"',
    );
    await queryRunner.query('DROP TABLE "temporary_jobs"');
    await queryRunner.query('CREATE INDEX "idx_jobs_status" ON "jobs" ("status") ');
    await queryRunner.query('CREATE UNIQUE INDEX "idx_jobs_idempotency_key" ON "jobs" ("idempotency_key") ');
  }
}
