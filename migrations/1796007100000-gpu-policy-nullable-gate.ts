import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `gpu_policy.min_priority` becomes nullable: NULL = no priority gate (the new default). The old
 * default 0 was written into every row an operator touched (disabling a GPU stored min_priority 0
 * too), so a stored 0 cannot be told apart from a deliberate "≥ 0" gate; it meant "everyone" in the
 * old API, so it becomes NULL. An operator who wanted to keep negative priorities off a GPU sets
 * the gate again (CHANGELOG).
 */
export class GpuPolicyNullableGate1796007100000 implements MigrationInterface {
  name = 'GpuPolicyNullableGate1796007100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "temporary_gpu_policy" ("gpu_index" integer PRIMARY KEY NOT NULL, "disabled" boolean NOT NULL, "min_priority" integer, "updated_at" text NOT NULL)',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_gpu_policy" ("gpu_index", "disabled", "min_priority", "updated_at") SELECT "gpu_index", "disabled", NULLIF("min_priority", 0), "updated_at" FROM "gpu_policy"',
    );
    await queryRunner.query('DROP TABLE "gpu_policy"');
    await queryRunner.query('ALTER TABLE "temporary_gpu_policy" RENAME TO "gpu_policy"');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "temporary_gpu_policy" ("gpu_index" integer PRIMARY KEY NOT NULL, "disabled" boolean NOT NULL, "min_priority" integer NOT NULL, "updated_at" text NOT NULL)',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_gpu_policy" ("gpu_index", "disabled", "min_priority", "updated_at") SELECT "gpu_index", "disabled", COALESCE("min_priority", 0), "updated_at" FROM "gpu_policy"',
    );
    await queryRunner.query('DROP TABLE "gpu_policy"');
    await queryRunner.query('ALTER TABLE "temporary_gpu_policy" RENAME TO "gpu_policy"');
  }
}
