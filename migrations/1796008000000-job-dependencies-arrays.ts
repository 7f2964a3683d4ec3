import { MigrationInterface, QueryRunner } from 'typeorm';

/** Job dependencies (depends_on, JSON) and arrays (id, index, max_running), with an index per array. */
export class JobDependenciesArrays1796008000000 implements MigrationInterface {
  name = 'JobDependenciesArrays1796008000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD COLUMN "depends_on" text NOT NULL DEFAULT ('[]')`);
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "array_id" text');
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "array_index" integer');
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "array_max_running" integer');
    await queryRunner.query('CREATE INDEX "idx_jobs_array" ON "jobs" ("array_id", "array_index")');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "idx_jobs_array"');
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "array_max_running"');
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "array_index"');
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "array_id"');
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "depends_on"');
  }
}
