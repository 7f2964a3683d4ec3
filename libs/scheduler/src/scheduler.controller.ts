import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@trainyard/core';
import { JobRepository } from '@trainyard/jobs';
import { Dispatcher } from './dispatcher';
import { ActiveJobs } from './supervision/active-jobs';
import { SchedulerStatusDto, SetSchedulerRequestDto } from './scheduler.dto';
import { SetSchedulerEnabledCommand } from './commands/set-scheduler-enabled.command';

@ApiTags('queue')
@Controller('queue/scheduler')
export class SchedulerController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly dispatcher: Dispatcher,
    private readonly active: ActiveJobs,
    private readonly jobs: JobRepository,
  ) {}

  /** Whether the scheduler is launching work, with its counters. */
  @Get()
  @ApiErrors(401)
  async getScheduler(): Promise<SchedulerStatusDto> {
    return {
      enabled: this.dispatcher.isEnabled,
      tick_count: this.dispatcher.tickCount,
      last_tick_at: this.dispatcher.lastTickAt,
      running_count: this.active.count,
      queued_count: await this.jobs.countWithStatus('queued'),
      held_count: await this.jobs.countHeld(),
    };
  }

  /** Pauses (`enabled: false`) or resumes dispatching; running jobs are not touched. */
  @Post()
  @HttpCode(200)
  @ApiErrors(400, 401, 403)
  async setScheduler(@Body() body: SetSchedulerRequestDto): Promise<SchedulerStatusDto> {
    await this.commandBus.execute(new SetSchedulerEnabledCommand(body.enabled));
    return this.getScheduler();
  }
}
