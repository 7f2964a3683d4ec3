import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** AUTOINCREMENT keeps seq strictly increasing and never reused, across restarts too. */
@Entity('journal')
export class JournalEntryEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'text' })
  ts!: string;

  @Column({ type: 'text' })
  origin_node_id!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'text' })
  payload!: string;
}
