import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The replicated journal's entries name the job they are about (`queue_id`, from their payload),
 * indexed with their origin node: a rank's end on a node that does not answer is looked up, not
 * found by scanning every entry of that node (~100 ms a lookup at 200,000 entries).
 */
export class ClusterJournalQueueId1796021500000 implements MigrationInterface {
  name = 'ClusterJournalQueueId1796021500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "cluster_journal" ADD COLUMN "queue_id" text');
    // A queue_id that is not a string (no entry type has one) is left null, as new entries' are.
    await queryRunner.query(
      `UPDATE "cluster_journal" SET "queue_id" = json_extract("payload", '$.queue_id')
       WHERE json_valid("payload") AND json_type("payload", '$.queue_id') = 'text'`,
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_4d4c23cfa0a69cfc2b74af1ddd" ON "cluster_journal" ("origin_node_id", "queue_id") ',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_4d4c23cfa0a69cfc2b74af1ddd"');
    await queryRunner.query('ALTER TABLE "cluster_journal" DROP COLUMN "queue_id"');
  }
}
