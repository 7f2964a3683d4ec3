import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({
  description:
    'Text frame of WebSocket /api/jobs/stream: the jobs that changed since the previous frame (none in the first, sent on connect). Clients re-read GET /api/jobs or /api/queue for their new state.',
})
export class JobsFrameDto {
  @ApiProperty({ enum: ['jobs'] })
  type!: 'jobs';
  queue_ids!: string[];
}
