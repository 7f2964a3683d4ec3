import { PageQueryDto } from '@trainyard/core';

/** Default page size 500. */
export class ListQueueQueryDto extends PageQueryDto {}

export class CancelQueueItemResponseDto {
  queue_id!: string;
  /** `removed` (it was queued) or `aborting` (it was running; it ends as `aborted`). */
  outcome!: string;
}
