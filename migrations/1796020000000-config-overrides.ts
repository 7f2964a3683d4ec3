import { MigrationInterface, QueryRunner } from 'typeorm';

/** Remembered dynamic-argument overrides per project config (GET/POST/DELETE /api/config/overrides). */
export class ConfigOverrides1796020000000 implements MigrationInterface {
  name = 'ConfigOverrides1796020000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "config_overrides" ("project_dir" text NOT NULL, "config" text NOT NULL, "values_json" text NOT NULL, "updated_at" text NOT NULL, PRIMARY KEY ("project_dir", "config"))',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "config_overrides"');
  }
}
