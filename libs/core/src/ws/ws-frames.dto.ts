import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({
  description:
    'WebSocket text frame on any stream: the stream cannot go on (unknown job, no output, an internal error). The server closes the socket right after (1008 refused, 1011 internal).',
})
export class StreamErrorFrameDto {
  @ApiProperty({ enum: ['error'] })
  type!: 'error';
  message!: string;
}
