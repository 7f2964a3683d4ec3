import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One row per submitted job, from queued through its terminal state. */
@Entity('jobs')
// Lists read pages straight off these: jobs of one status newest first (status, seq); the queue in
// dispatch order (status, priority DESC, seq — the DESC is in the migration: TypeORM cannot say it).
@Index('idx_jobs_status_seq', ['status', 'seq'])
@Index('idx_jobs_queue_order', ['status', 'priority', 'seq'])
@Index('idx_jobs_array', ['array_id', 'array_index'])
// The queued jobs that wait for others: read on every pass while the scheduler is paused.
@Index('idx_jobs_queued_dependents', ['seq'], { where: "status = 'queued' AND depends_on != '[]'" })
// The held jobs (the scheduler status counts them on every read).
@Index('idx_jobs_held', ['seq'], { where: "status = 'queued' AND held" })
// One per sort of the list (see the migration JobSortIndexes); the name's NOCASE, the runtime's
// expression and the partial conditions are in the migration only (TypeORM cannot say them).
@Index('idx_jobs_started_at', ['started_at', 'seq'])
@Index('idx_jobs_ended_at', ['ended_at', 'seq'])
@Index('idx_jobs_job_type', ['job_type', 'seq'])
@Index('idx_jobs_priority', ['priority', 'seq'])
@Index('idx_jobs_name', { synchronize: false })
@Index('idx_jobs_runtime', { synchronize: false })
@Index('idx_jobs_running_since', { synchronize: false })
export class JobEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  job_type!: string;

  @Column({ type: 'text', nullable: true })
  name!: string | null;

  @Column({ type: 'integer' })
  priority!: number;

  @Column({ type: 'integer' })
  requested_gpus!: number;

  @Column({ type: 'text' })
  job_params!: string;

  @Column({ type: 'text' })
  cwd!: string;

  @Column({ type: 'text' })
  env!: string;

  @Column({ type: 'text' })
  status!: string;

  @Column({ type: 'text' })
  submitted_at!: string;

  /**
   * Insertion order, 1, 2, 3, ... assigned at submit and never taken from the clock: the queue's
   * first-in-first-out order within a priority, whatever the wall clock does.
   */
  @Index('idx_jobs_seq', { unique: true })
  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'text', nullable: true })
  started_at!: string | null;

  @Column({ type: 'text', nullable: true })
  ended_at!: string | null;

  @Column({ type: 'text' })
  gpu_indices!: string;

  /** JSON array of MIG device UUIDs (see Job.mig_devices). */
  @Column({ type: 'text', default: '[]' })
  mig_devices!: string;

  /** JSON array: the argv its last attempt was started with (see Job.argv); null before. */
  @Column({ type: 'text', nullable: true })
  argv!: string | null;

  @Column({ type: 'text', nullable: true })
  gpu_profile!: string | null;

  @Column({ type: 'integer', nullable: true })
  pid!: number | null;

  @Column({ type: 'text', nullable: true })
  proc_start_time!: string | null;

  @Column({ type: 'integer', nullable: true })
  exit_code!: number | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'text', nullable: true })
  termination_reason!: string | null;

  @Column({ type: 'text', nullable: true })
  termination_requested_at!: string | null;

  @Column({ type: 'integer', nullable: true })
  kill_grace_s!: number | null;

  @Column({ type: 'integer', nullable: true })
  time_limit_s!: number | null;

  @Column({ type: 'integer', nullable: true })
  log_cap_bytes!: number | null;

  @Column({ type: 'boolean', default: false })
  preemptible!: boolean;

  @Column({ type: 'integer', default: 0 })
  restart_count!: number;

  @Column({ type: 'text', nullable: true })
  preempted_at!: string | null;

  /** Held by the user while queued: never placed until released (see Job.held). */
  @Column({ type: 'boolean', default: false })
  held!: boolean;

  /** When its current hold began (ISO 8601); null while it is not held (see Job.held_at). */
  @Column({ type: 'text', nullable: true })
  held_at!: string | null;

  /** Milliseconds it was held while ready to start since it was queued (see Job.held_ms). */
  @Column({ type: 'integer', default: 0 })
  held_ms!: number;

  @Index('idx_jobs_idempotency_key', { unique: true })
  @Column({ type: 'text', nullable: true })
  idempotency_key!: string | null;

  /** JSON: the whole request it was submitted with under idempotency_key (null: none, or an older row). */
  @Column({ type: 'text', nullable: true })
  idempotency_request!: string | null;

  /** JSON list of {queue_id, condition}; '[]' for none. */
  @Column({ type: 'text', default: '[]' })
  depends_on!: string;

  @Column({ type: 'text', nullable: true })
  array_id!: string | null;

  @Column({ type: 'integer', nullable: true })
  array_index!: number | null;

  @Column({ type: 'integer', nullable: true })
  array_max_running!: number | null;

  /** The job this one retries; a retry looks up which failed jobs already have one. */
  @Index('idx_jobs_retry_of')
  @Column({ type: 'text', nullable: true })
  retry_of!: string | null;
}

/**
 * How many jobs hold each status, kept by triggers on `jobs` (migration JobStatusCounts): never
 * written by the server. The job list and the queue read their totals here.
 */
@Entity('job_status_counts')
export class JobStatusCountEntity {
  @PrimaryColumn({ type: 'text' })
  status!: string;

  @Column({ type: 'integer' })
  n!: number;
}
