import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Journal entries by the job they are about (`payload.queue_id`), so a job's removal finds the
 * entries whose secrets it redacts (Journal.redact) without reading the whole journal, per chunk of
 * a cleanup.
 */
export class JournalQueueIdIndex1796020900000 implements MigrationInterface {
  name = 'JournalQueueIdIndex1796020900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "idx_journal_queue_id" ON "journal" (json_extract("payload", '$.queue_id'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "idx_journal_queue_id"');
  }
}
