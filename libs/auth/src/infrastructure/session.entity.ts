import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Persisted browser sessions (with --persist-sessions), and sessions a worker hands to its successor
 * across a graceful restart (`handed_over_at` set; the next worker loads and, without
 * --persist-sessions, deletes them). The id itself is never stored.
 */
@Entity('sessions')
export class SessionEntity {
  @PrimaryColumn({ type: 'text' })
  id_hash!: string;

  @Column({ type: 'text' })
  created_at!: string;

  @Column({ type: 'text' })
  expires_at!: string;

  /** ISO time a restarting worker wrote this row for the next one; null for a persisted session. */
  @Column({ type: 'text', nullable: true })
  handed_over_at!: string | null;
}
