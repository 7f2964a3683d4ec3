import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Per-GPU scheduling policy; a GPU without a row has the default policy. */
@Entity('gpu_policy')
export class GpuPolicyEntity {
  /** nvidia-smi index (or fake GPU index). */
  @PrimaryColumn({ type: 'integer' })
  gpu_index!: number;

  @Column({ type: 'boolean' })
  disabled!: boolean;

  /** The priority gate; NULL = no gate (every priority is admitted). */
  @Column({ type: 'integer', nullable: true })
  min_priority!: number | null;

  /** ISO 8601 time of the last change. */
  @Column({ type: 'text' })
  updated_at!: string;
}
