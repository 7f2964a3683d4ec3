import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { StreamErrorFrameDto } from '@trainyard/core';
import { JOB_STATUSES, type JobStatus } from '../job-lifecycle';

// JSON text frames of WebSocket /api/jobs/{queue_id}/tty; the log bytes themselves are binary frames.

@ApiSchema({
  description:
    'When resuming (`offset` given): the logical offset of the first byte that follows. Also sent ' +
    'mid-stream when the log cap dropped output the client had not received yet (then with `dropped`).',
})
export class LogStartFrameDto {
  @ApiProperty({ enum: ['start'] })
  type!: 'start';
  /**
   * Logical byte offset into the job's output: byte N of everything the job wrote keeps the number N
   * when the log cap drops the oldest part.
   */
  offset!: number;
  /**
   * Bytes from the offset asked for (or reached) up to the oldest kept output that the log cap
   * dropped; the bytes that follow start with the marker line. Absent when nothing was missed.
   */
  dropped?: number;
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

@ApiSchema({
  description:
    "Another cluster node's job only: its node stopped answering (`reachable: false`; the stream " +
    'stays open and waits for it) or answers again (`reachable: true`; the log goes on from where it ' +
    'stopped, nothing lost or repeated). Tells a quiet job from a dead connection.',
})
export class LogNodeFrameDto {
  @ApiProperty({ enum: ['node'] })
  type!: 'node';
  node_id!: string;
  reachable!: boolean;
  /** For a person: which node, and why it is thought unreachable. */
  message!: string;
}

/** Every JSON frame the log stream sends. */
export type TtyControlFrame =
  LogStartFrameDto | LogEndFrameDto | LogResetFrameDto | LogNodeFrameDto | StreamErrorFrameDto;
export const LOG_STREAM_FRAMES = [
  LogStartFrameDto,
  LogEndFrameDto,
  LogResetFrameDto,
  LogNodeFrameDto,
  StreamErrorFrameDto,
];
