import { MigrationInterface, QueryRunner } from 'typeorm';

/** `sessions.handed_over_at`: sessions a restarting worker hands to the next one (see Credentials). */
export class SessionHandover1796015221747 implements MigrationInterface {
  name = 'SessionHandover1796015221747';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "temporary_sessions" ("id_hash" text PRIMARY KEY NOT NULL, "created_at" text NOT NULL, "expires_at" text NOT NULL, "handed_over_at" text)',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_sessions"("id_hash", "created_at", "expires_at") SELECT "id_hash", "created_at", "expires_at" FROM "sessions"',
    );
    await queryRunner.query('DROP TABLE "sessions"');
    await queryRunner.query('ALTER TABLE "temporary_sessions" RENAME TO "sessions"');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "sessions" RENAME TO "temporary_sessions"');
    await queryRunner.query(
      'CREATE TABLE "sessions" ("id_hash" text PRIMARY KEY NOT NULL, "created_at" text NOT NULL, "expires_at" text NOT NULL)',
    );
    await queryRunner.query(
      'INSERT INTO "sessions"("id_hash", "created_at", "expires_at") SELECT "id_hash", "created_at", "expires_at" FROM "temporary_sessions"',
    );
    await queryRunner.query('DROP TABLE "temporary_sessions"');
  }
}
