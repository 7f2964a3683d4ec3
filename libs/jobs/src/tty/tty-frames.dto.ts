import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { StreamErrorFrameDto } from '@trainyard/core';
import { JOB_STATUSES, type JobStatus } from '../job-lifecycle';

// JSON text frames of WebSocket /api/jobs/{queue_id}/tty; the log bytes themselves are binary frames.

@ApiSchema({
  description: 'Only when resuming (`offset` given): the log file offset of the first byte that follows.',
})
export class LogStartFrameDto {
  @ApiProperty({ enum: ['start'] })
  type!: 'start';
  /** Byte offset into the job's log file. */
  offset!: number;
}

@ApiSchema({
  description:
    'The job ended: its final status and exit code. The server closes the socket (1000) right after.',
})
export class LogEndFrameDto {
  @ApiProperty({ enum: ['end'] })
  type!: 'end';
  /**
   * The job's terminal status, or `cancelled` (removed from the queue before it started) /
   * `deleted` (its record was removed).
   */
  @ApiProperty({ enum: [...JOB_STATUSES, 'cancelled', 'deleted'], enumName: 'LogEndStatus' })
  status!: JobStatus | 'cancelled' | 'deleted';
  /** The job's exit status; null when none was recorded. */
  exit_code!: number | null;
}

@ApiSchema({
  description: 'The log file was truncated and is replayed from its start: a terminal view should clear.',
})
export class LogResetFrameDto {
  @ApiProperty({ enum: ['reset'] })
  type!: 'reset';
  message!: string;
}

/** Every JSON frame the log stream sends. */
export type TtyControlFrame = LogStartFrameDto | LogEndFrameDto | LogResetFrameDto | StreamErrorFrameDto;
export const LOG_STREAM_FRAMES = [LogStartFrameDto, LogEndFrameDto, LogResetFrameDto, StreamErrorFrameDto];
