import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row: whether the dispatcher launches queued work. */
@Entity('scheduler_state')
export class SchedulerStateEntity {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'boolean' })
  enabled!: boolean;

  @Column({ type: 'text' })
  updated_at!: string;
}
