import { MigrationInterface, QueryRunner } from 'typeorm';

/** A job's own cap on its log file, bytes (null: the server's --log-cap). */
export class JobLogCap1796015100000 implements MigrationInterface {
  name = 'JobLogCap1796015100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "log_cap_bytes" integer');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "log_cap_bytes"');
  }
}
