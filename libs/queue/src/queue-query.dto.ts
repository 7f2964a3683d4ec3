import { PageQueryDto } from '@trainyard/core';

/** Default page size 500. */
export class ListQueueQueryDto extends PageQueryDto {}

export class CancelQueueItemResponseDto {
  queue_id!: string;
  /**
   * `removed` (it was queued, never ran and is in no array), `aborted` (an array's job that was
   * queued — it ends `aborted`, "cancelled before it started", and its array keeps counting it — or one
   * queued for another attempt after running: it ended `aborted` and keeps its record and log) or
   * `aborting` (it was running; it ends as `aborted`).
   */
  outcome!: string;
}
