import { MigrationInterface, QueryRunner } from 'typeorm';

export class GpuPolicy1795431674746 implements MigrationInterface {
  name = 'GpuPolicy1795431674746';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "gpu_policy" ("gpu_index" integer PRIMARY KEY NOT NULL, "disabled" boolean NOT NULL, "min_priority" integer NOT NULL, "updated_at" text NOT NULL)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "gpu_policy"');
  }
}
