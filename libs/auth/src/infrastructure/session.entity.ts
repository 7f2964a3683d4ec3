import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Persisted browser sessions (only with --persist-sessions). The id itself is never stored. */
@Entity('sessions')
export class SessionEntity {
  @PrimaryColumn({ type: 'text' })
  id_hash!: string;

  @Column({ type: 'text' })
  created_at!: string;

  @Column({ type: 'text' })
  expires_at!: string;
}
