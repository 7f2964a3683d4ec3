import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The time a job is held no longer counts toward its priority aging: `held_at` (when its current hold
 * began; null while not held) and `held_ms` (how long it was held while otherwise ready to start).
 * A job held now gets its hold's time from its last `job.held.v1` entry (the one a replica replays);
 * holds that ended before this release keep counting as waited (`held_ms` 0).
 */
export class JobHeldTime1796021300000 implements MigrationInterface {
  name = 'JobHeldTime1796021300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "held_at" text');
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "held_ms" integer NOT NULL DEFAULT (0)');
    await queryRunner.query(
      `UPDATE "jobs" SET "held_at" = (SELECT json_extract(e."payload", '$.held_at') FROM "journal" e ` +
        `WHERE json_extract(e."payload", '$.queue_id') = "jobs"."id" AND e."type" = 'job.held.v1' ` +
        `ORDER BY e."seq" DESC LIMIT 1) WHERE "status" = 'queued' AND "held"`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "held_ms"');
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "held_at"');
  }
}
