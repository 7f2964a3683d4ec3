import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { ARRAY_ID_PATTERN } from '@trainyard/core';
import { JOB_STATUSES, JobStatus, TERMINATION_REASONS, TerminationReason } from '@trainyard/jobs';

export class ArrayIdParamDto {
  /** An array id, `a_<ms>_<8 hex>`. */
  @Matches(ARRAY_ID_PATTERN, { message: 'array_id must look like a_<13 digits>_<8 hex>' })
  array_id!: string;
}

export class ArrayJobDto {
  queue_id!: string;
  array_index!: number;
  name!: string | null;
  @ApiProperty({ enum: JOB_STATUSES, enumName: 'JobStatus' })
  status!: JobStatus;
  /** Queued and held by the user: it starts only once released. */
  held!: boolean;
  exit_code!: number | null;
  /** ISO 8601 time it was started (claimed to run); null for one that never was. */
  @ApiProperty({ type: String, nullable: true })
  started_at!: string | null;
  /** ISO 8601 time it ended; null while it has not. */
  @ApiProperty({ type: String, nullable: true })
  ended_at!: string | null;
  /** Why it ended (killed, time limit, exit code, dependency…), null while it has not. */
  @ApiProperty({ enum: TERMINATION_REASONS, enumName: 'TerminationReason', nullable: true })
  termination_reason!: TerminationReason | null;
  /** The job that retries this one (`POST /api/arrays/{array_id}/retry` made it), or null. */
  @ApiProperty({ type: String, nullable: true })
  retried_as!: string | null;
}

/** An array as a unit: its jobs and how far along it is. */
export class ArrayDto {
  array_id!: string;
  /** Jobs in the array now (cancelling removes queued ones). */
  total!: number;
  /** Jobs that ended (done, failed or aborted): progress is finished/total. */
  finished!: number;
  /** How many jobs are in each status (every status present, 0 when none). */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' } })
  counts!: Record<JobStatus, number>;
  /** At most this many run at once (null: no cap). */
  max_running!: number | null;
  /** Every job by index. */
  jobs!: ArrayJobDto[];
  /** Failed and aborted jobs not retried yet: what `POST /api/arrays/{array_id}/retry` would copy. */
  retryable!: number;
  /** The arrays its retries made, oldest first (empty: never retried). */
  retried_as!: string[];
}

export class CancelArrayResponseDto {
  array_id!: string;
  /** Always empty: an array's queued jobs are no longer removed but end `aborted` (kept for older clients). */
  removed!: string[];
  /**
   * Its queued jobs, ended `aborted` (user_abort; "cancelled before it started", or the attempt they
   * waited for after a preemption): kept, so the array still counts them and its retry copies them.
   */
  aborted!: string[];
  /** Active jobs asked to stop (user_abort). */
  aborting!: string[];
}

/** POST /api/arrays/{array_id}/hold and /release. */
export class HoldArrayResponseDto {
  array_id!: string;
  /** The array's queued jobs whose hold this changed (those already so, and jobs not queued, are not named). */
  changed!: string[];
}
