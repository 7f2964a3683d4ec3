import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The run list's order (newest first, the run id breaking ties), so a page of `GET /api/runs/page`
 * is read in order off the index after the cursor's key: O(page), not a sort of every run.
 */
export class RunsListIndex1796020800000 implements MigrationInterface {
  name = 'RunsListIndex1796020800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX "idx_runs_created_at" ON "runs" ("created_at", "run_id")');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "idx_runs_created_at"');
  }
}
