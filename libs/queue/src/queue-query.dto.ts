import { PageQueryDto } from '@trainyard/core';

/** Default page size 500. */
export class ListQueueQueryDto extends PageQueryDto {}

export class CancelQueueItemResponseDto {
  queue_id!: string;
  /**
   * `removed` (it was queued and never ran), `aborted` (it was queued for another attempt after
   * running: it ended `aborted` and keeps its record and log) or `aborting` (it was running; it ends
   * as `aborted`).
   */
  outcome!: string;
}
