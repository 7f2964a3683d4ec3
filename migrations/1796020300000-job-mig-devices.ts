import { MigrationInterface, QueryRunner } from 'typeorm';

/** MIG placement: the profile a job asks for and the MIG devices (UUIDs) it was placed on. */
export class JobMigDevices1796020300000 implements MigrationInterface {
  name = 'JobMigDevices1796020300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" ADD COLUMN "gpu_profile" text');
    await queryRunner.query(`ALTER TABLE "jobs" ADD COLUMN "mig_devices" text NOT NULL DEFAULT ('[]')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "mig_devices"');
    await queryRunner.query('ALTER TABLE "jobs" DROP COLUMN "gpu_profile"');
  }
}
