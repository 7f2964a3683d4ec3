import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Per-GPU scheduling policy; a GPU without a row has the default policy. */
@Entity('gpu_policy')
export class GpuPolicyEntity {
  /** nvidia-smi index (or fake GPU index) the policy was set at. */
  @PrimaryColumn({ type: 'integer' })
  gpu_index!: number;

  /**
   * The card it was set on (nvidia-smi `uuid`); the policy follows that card to another index and is
   * not applied to another card at this one. NULL (not reported, or set before it was stored): by index.
   */
  @Column({ type: 'text', nullable: true })
  gpu_uuid!: string | null;

  @Column({ type: 'boolean' })
  disabled!: boolean;

  /** The priority gate; NULL = no gate (every priority is admitted). */
  @Column({ type: 'integer', nullable: true })
  min_priority!: number | null;

  /** ISO 8601 time of the last change. */
  @Column({ type: 'text' })
  updated_at!: string;
}
