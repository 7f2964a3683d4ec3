import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '@trainyard/core';
import { JOB_STATUSES } from './job-lifecycle';

const QUEUE_ID = /^q_\d{13}_[0-9a-f]{8}$/;

export class QueueIdParamDto {
  /** A queue id, `q_<ms>_<8 hex>`. */
  @Matches(QUEUE_ID, { message: 'queue_id must look like q_<13 digits>_<8 hex>' })
  queue_id!: string;
}

export const JOB_ACTIONS = ['stop', 'save', 'save-stop', 'abort', 'kill', 'force-kill'] as const;

export class JobControlParamDto extends QueueIdParamDto {
  /** stop / save / save-stop go to the trainer; abort and kill send SIGTERM, force-kill SIGKILL. */
  @IsIn(JOB_ACTIONS)
  action!: (typeof JOB_ACTIONS)[number];
}

/** Default page size 100. */
export class ListJobsQueryDto extends PageQueryDto {
  /** Only these statuses (comma-separated), e.g. `running,failed`. */
  @IsOptional()
  @IsString()
  @Matches(new RegExp(`^(${JOB_STATUSES.join('|')})(,(${JOB_STATUSES.join('|')}))*$`), {
    message: `status must be a comma-separated list of ${JOB_STATUSES.join(', ')}`,
  })
  status?: string;

  /** Only this job type. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  job_type?: string;
}

export class JobControlResponseDto {
  queue_id!: string;
  action!: string;
  /** Processes signalled (kill actions). */
  pids?: number[];
  /** Processes still alive 2 s after the signal. */
  survivors?: number[];
  /** The trainer's answer (trainer actions). */
  trainer_response?: unknown;
}

export class DeletedJobsDto {
  /** Removed job ids (their logs are removed too). */
  deleted!: string[];
}

export class GcResultDto {
  /** Removed orphan log files. */
  removed!: string[];
  /** Files kept. */
  kept!: number;
}
