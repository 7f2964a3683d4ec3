import { MigrationInterface, QueryRunner } from 'typeorm';

/** The Files API's search roots (directories the files tree starts from). */
export class SearchRoots1796007000000 implements MigrationInterface {
  name = 'SearchRoots1796007000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "search_roots" ("path" text PRIMARY KEY NOT NULL, "added_at" text NOT NULL)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "search_roots"');
  }
}
