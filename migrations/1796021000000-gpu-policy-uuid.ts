import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A GPU's policy names the card it was set on (`gpu_uuid`), so it follows that card when the GPUs
 * are numbered anew (a card removed or added in front of it) and is not inherited by a card swapped
 * in at its index. Existing rows keep NULL: they apply by index, as before, until set again.
 */
export class GpuPolicyUuid1796021000000 implements MigrationInterface {
  name = 'GpuPolicyUuid1796021000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "gpu_policy" ADD COLUMN "gpu_uuid" text');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "gpu_policy" DROP COLUMN "gpu_uuid"');
  }
}
