import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({
  description:
    "Text frame of WebSocket /api/jobs/stream: the jobs that changed since the previous frame (none in the first, sent on connect), their trainer status and pending reason included (none named when every queued item's reason changed: the scheduler paused or resumed). Clients re-read GET /api/jobs or /api/queue for their new state.",
})
export class JobsFrameDto {
  @ApiProperty({ enum: ['jobs'] })
  type!: 'jobs';
  /** At most 500 ids (JOBS_FRAME_MAX_IDS); a bigger burst (a cleanup) lists the first 500. */
  queue_ids!: string[];
  /** How many changed jobs a bigger burst did not list. */
  omitted?: number;
}
