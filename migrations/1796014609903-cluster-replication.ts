import { MigrationInterface, QueryRunner } from 'typeorm';

/** Cluster mode: the outbox/inbox cursors and the replicated journal view. */
export class ClusterReplication1796014609903 implements MigrationInterface {
  name = 'ClusterReplication1796014609903';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "cluster_cursors" ("cluster" text PRIMARY KEY NOT NULL, "published_seq" integer NOT NULL DEFAULT (0), "consumed_stream_seq" integer NOT NULL DEFAULT (0))',
    );
    await queryRunner.query(
      'CREATE TABLE "cluster_journal" ("origin_node_id" text NOT NULL, "seq" integer NOT NULL, "ts" text NOT NULL, "type" text NOT NULL, "payload" text NOT NULL, "stream_seq" integer NOT NULL, PRIMARY KEY ("origin_node_id", "seq"))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_38f04ef8f0043a92d28b3228f8" ON "cluster_journal" ("stream_seq") ',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_38f04ef8f0043a92d28b3228f8"');
    await queryRunner.query('DROP TABLE "cluster_journal"');
    await queryRunner.query('DROP TABLE "cluster_cursors"');
  }
}
