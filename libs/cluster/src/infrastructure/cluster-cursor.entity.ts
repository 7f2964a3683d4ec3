import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How far this node got with one cluster's replicated journal (one row per cluster name). */
@Entity('cluster_cursors')
export class ClusterCursorEntity {
  @PrimaryColumn({ type: 'text' })
  cluster!: string;

  /** Outbox: the last local journal seq the stream acknowledged (entries after it are still to publish). */
  @Column({ type: 'integer', default: 0 })
  published_seq!: number;

  /** Inbox: the last stream sequence copied into the replicated view. */
  @Column({ type: 'integer', default: 0 })
  consumed_stream_seq!: number;
}
