import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The replicated view: every cluster node's journal entries (this node's too), as they came off the
 * stream. The key (origin, seq) makes applying an entry twice a no-op.
 */
@Entity('cluster_journal')
@Index(['origin_node_id', 'queue_id'])
export class ReplicatedEntryEntity {
  @PrimaryColumn({ type: 'text' })
  origin_node_id!: string;

  /** The entry's seq in its origin node's journal. */
  @PrimaryColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'text' })
  ts!: string;

  @Column({ type: 'text' })
  type!: string;

  /**
   * The job the entry is about (its payload's `queue_id`), null for an entry about none: a job's
   * entries from its node (a rank's end while that node is away) are found without a scan.
   */
  @Column({ type: 'text', nullable: true })
  queue_id!: string | null;

  /** JSON, as in the origin's journal. */
  @Column({ type: 'text' })
  payload!: string;

  /** The stream sequence it arrived with (cluster-wide arrival order). */
  @Index()
  @Column({ type: 'integer' })
  stream_seq!: number;
}
