import { MigrationInterface, QueryRunner } from 'typeorm';

/** Run tracking: runs, their configs, metric and string series (points WITHOUT ROWID, keyed for overwrite). */
export class TrackingRuns1796020100000 implements MigrationInterface {
  name = 'TrackingRuns1796020100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "runs" ("run_id" text PRIMARY KEY NOT NULL, "name" text, "project" text, "job_id" text, "status" text NOT NULL, "created_at" text NOT NULL, "updated_at" text NOT NULL, "token_hash" text, "token_expires_at" text)',
    );
    await queryRunner.query('CREATE INDEX "idx_runs_job_id" ON "runs" ("job_id") ');
    await queryRunner.query(
      'CREATE TABLE "run_configs" ("run_id" text NOT NULL, "path" text NOT NULL, "type_tag" text NOT NULL, "value" text NOT NULL, "updated_at" text NOT NULL, PRIMARY KEY ("run_id", "path"))',
    );
    await queryRunner.query(
      'CREATE TABLE "run_metrics" ("run_id" text NOT NULL, "path" text NOT NULL, "step" real NOT NULL, "value" real, PRIMARY KEY ("run_id", "path", "step")) WITHOUT ROWID',
    );
    await queryRunner.query(
      'CREATE TABLE "run_strings" ("run_id" text NOT NULL, "path" text NOT NULL, "step" real NOT NULL, "value" text NOT NULL, PRIMARY KEY ("run_id", "path", "step")) WITHOUT ROWID',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "run_strings"');
    await queryRunner.query('DROP TABLE "run_metrics"');
    await queryRunner.query('DROP TABLE "run_configs"');
    await queryRunner.query('DROP INDEX "idx_runs_job_id"');
    await queryRunner.query('DROP TABLE "runs"');
  }
}
