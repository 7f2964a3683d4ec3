import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A tracking run: one per job, or created by a client. */
@Entity('runs')
@Index('idx_runs_job_id', ['job_id'])
@Index('idx_runs_created_at', ['created_at', 'run_id'])
// The list of runs something was logged to (GET /api/runs/page?logged=true), in list order.
@Index('idx_runs_logged_created_at', ['created_at', 'run_id'], { where: 'logged' })
export class RunEntity {
  /** URL-safe id (`r_<ms>_<hex>`). */
  @PrimaryColumn({ type: 'text' })
  run_id!: string;

  @Column({ type: 'text', nullable: true })
  name!: string | null;

  @Column({ type: 'text', nullable: true })
  project!: string | null;

  @Column({ type: 'text', nullable: true })
  job_id!: string | null;

  /** running | finished | failed */
  @Column({ type: 'text' })
  status!: string;

  @Column({ type: 'text' })
  created_at!: string;

  @Column({ type: 'text' })
  updated_at!: string;

  /**
   * Whether anything was logged to it: a metric, a string or a config (the server's hardware series,
   * `sys/…`, aside). Derived from its points, so not journaled: a replica, which has no points, says false.
   */
  @Column({ type: 'boolean', default: false })
  logged!: boolean;

  /** sha256 (hex) of the run's ingest token; null = none (clients' runs, replicas). Never journaled. */
  @Column({ type: 'text', nullable: true })
  token_hash!: string | null;

  /** ISO 8601 end of the ingest token's life (the job's end + 1 h); null while its job runs. */
  @Column({ type: 'text', nullable: true })
  token_expires_at!: string | null;
}

/** A run's configs, stored as goodseed stores them: type tag + text. */
@Entity('run_configs')
export class RunConfigEntity {
  @PrimaryColumn({ type: 'text' })
  run_id!: string;

  @PrimaryColumn({ type: 'text' })
  path!: string;

  @Column({ type: 'text' })
  type_tag!: string;

  @Column({ type: 'text' })
  value!: string;

  @Column({ type: 'text' })
  updated_at!: string;
}

/**
 * Metric points: one per (run, path, step), so logging the same step again overwrites. `value` NULL
 * is NaN (SQLite stores NaN as NULL); ±Infinity are stored as they are. The table is WITHOUT ROWID
 * (in the migration: TypeORM cannot say it), so a series is one contiguous primary-key range.
 */
@Entity('run_metrics')
export class RunMetricEntity {
  @PrimaryColumn({ type: 'text' })
  run_id!: string;

  @PrimaryColumn({ type: 'text' })
  path!: string;

  @PrimaryColumn({ type: 'real' })
  step!: number;

  @Column({ type: 'real', nullable: true })
  value!: number | null;
}

/** String series points, one per (run, path, step). */
@Entity('run_strings')
export class RunStringEntity {
  @PrimaryColumn({ type: 'text' })
  run_id!: string;

  @PrimaryColumn({ type: 'text' })
  path!: string;

  @PrimaryColumn({ type: 'real' })
  step!: number;

  @Column({ type: 'text' })
  value!: string;
}
