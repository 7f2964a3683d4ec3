import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * AUTOINCREMENT keeps seq strictly increasing and never reused, across restarts too. Entries are
 * also indexed by `json_extract(payload, '$.queue_id')` (an expression index: migration
 * 1796020900000, which TypeORM's decorators cannot declare).
 */
@Entity('journal')
// Made by the migration (an expression index); `synchronize: false`: TypeORM neither makes nor drops it.
@Index('idx_journal_queue_id', { synchronize: false })
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
