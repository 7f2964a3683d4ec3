import { ApiProperty } from '@nestjs/swagger';
import { JournalEntryType, type JournaledEvent } from '@trainyard/journal';
import { RUN_STATUSES, type RunStatus } from './log-batch';

// Only a run's existence and status are journaled. Its points, strings and configs are telemetry:
// thousands of rows a second that no scheduling decision reads; journaling each would multiply the
// write volume and flood replication, so they stay in this node's run_* tables only.

@JournalEntryType(
  'run.created.v1',
  'a tracking run was created (by a job start or a client); a replica inserts its `runs` row (status running).',
)
export class RunCreatedEvent implements JournaledEvent {
  readonly run_id: string;
  /** Display name, or null. */
  readonly name: string | null;
  /** Project (goodseed's `workspace/project`), or null. */
  readonly project: string | null;
  /** The job this run belongs to, or null for a client's run. */
  readonly job_id: string | null;
  /** ISO 8601. */
  readonly created_at: string;

  constructor(fields: RunCreatedEvent) {
    this.run_id = fields.run_id;
    this.name = fields.name;
    this.project = fields.project;
    this.job_id = fields.job_id;
    this.created_at = fields.created_at;
  }
}

@JournalEntryType('run.status_changed.v1', "a run's status changed; a replica updates its `runs` row.")
export class RunStatusChangedEvent implements JournaledEvent {
  readonly run_id: string;
  @ApiProperty({ enum: RUN_STATUSES, enumName: 'RunStatus' })
  readonly status: RunStatus;
  /** ISO 8601. */
  readonly updated_at: string;
  /**
   * The run's display name, for readers (the activity log); not needed to apply the entry. Absent in
   * entries written before it was added.
   */
  @ApiProperty({ type: String, nullable: true, required: false })
  readonly name?: string | null;

  constructor(fields: RunStatusChangedEvent) {
    this.run_id = fields.run_id;
    this.status = fields.status;
    this.updated_at = fields.updated_at;
    this.name = fields.name;
  }
}

@JournalEntryType(
  'run.deleted.v1',
  'a run was deleted with its points, strings and configs; a replica deletes its `runs` row.',
)
export class RunDeletedEvent implements JournaledEvent {
  readonly run_id: string;
  /** Its display name, or null (for the activity log: the row is gone). */
  readonly name: string | null;
  /** The job it belonged to, or null for a client's run. */
  readonly job_id: string | null;
  /** ISO 8601. */
  readonly deleted_at: string;

  constructor(fields: RunDeletedEvent) {
    this.run_id = fields.run_id;
    this.name = fields.name;
    this.job_id = fields.job_id;
    this.deleted_at = fields.deleted_at;
  }
}
