import { JournalEntryType, type JournaledEvent } from '@trainyard/journal';

/** The dispatcher was paused or resumed (POST /api/queue/scheduler). */
@JournalEntryType(
  'scheduler.toggled.v1',
  'the scheduler was paused or resumed; a replica writes its one `scheduler_state` row.',
)
export class SchedulerToggledEvent implements JournaledEvent {
  /** Whether the dispatcher launches queued work. */
  readonly enabled: boolean;
  /** ISO 8601 time of the change. */
  readonly updated_at: string;

  constructor(fields: SchedulerToggledEvent) {
    this.enabled = fields.enabled;
    this.updated_at = fields.updated_at;
  }
}
