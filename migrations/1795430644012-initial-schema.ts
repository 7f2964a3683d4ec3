import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1795430644012 implements MigrationInterface {
  name = 'InitialSchema1795430644012';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "journal" ("seq" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "ts" text NOT NULL, "origin_node_id" text NOT NULL, "type" text NOT NULL, "payload" text NOT NULL)',
    );
    await queryRunner.query(
      'CREATE TABLE "sessions" ("id_hash" text PRIMARY KEY NOT NULL, "created_at" text NOT NULL, "expires_at" text NOT NULL)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "sessions"');
    await queryRunner.query('DROP TABLE "journal"');
  }
}
