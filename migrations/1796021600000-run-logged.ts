import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `runs.logged`: whether anything was logged to the run — a metric, a string or a config, the
 * server's own hardware series (`sys/…`) aside. Every job gets a run, so lists of runs filled with
 * empty ones (a plain command's); `GET /api/runs/page?logged=true` reads only the others, in list
 * order off a partial index. Existing runs are marked from their points.
 */
export class RunLogged1796021600000 implements MigrationInterface {
  name = 'RunLogged1796021600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "runs" ADD COLUMN "logged" boolean NOT NULL DEFAULT (0)');
    await queryRunner.query(
      `UPDATE "runs" SET "logged" = 1 WHERE
         EXISTS (SELECT 1 FROM "run_metrics" m WHERE m."run_id" = "runs"."run_id" AND m."path" NOT LIKE 'sys/%')
         OR EXISTS (SELECT 1 FROM "run_strings" s WHERE s."run_id" = "runs"."run_id")
         OR EXISTS (SELECT 1 FROM "run_configs" c WHERE c."run_id" = "runs"."run_id")`,
    );
    await queryRunner.query(
      'CREATE INDEX "idx_runs_logged_created_at" ON "runs" ("created_at", "run_id") WHERE logged',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "idx_runs_logged_created_at"');
    await queryRunner.query('ALTER TABLE "runs" DROP COLUMN "logged"');
  }
}
