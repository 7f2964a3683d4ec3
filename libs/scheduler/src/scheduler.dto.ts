import { IsBoolean } from 'class-validator';

export class SchedulerStatusDto {
  /** Whether queued work is being launched (persisted across restarts). */
  enabled!: boolean;
  /** Scheduling passes since the server started. */
  tick_count!: number;
  /** When the last pass ran (ISO 8601), null before the first. */
  last_tick_at!: string | null;
  /** Jobs starting or running now. */
  running_count!: number;
  /** Items waiting in the queue, the held ones included. */
  queued_count!: number;
  /** Of those, how many the user holds (they start only once released). */
  held_count!: number;
}

export class SetSchedulerRequestDto {
  /** false pauses dispatching (running jobs continue); true resumes it. */
  @IsBoolean()
  enabled!: boolean;
}
