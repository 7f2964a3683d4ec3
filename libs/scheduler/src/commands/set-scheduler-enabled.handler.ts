import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Journal } from '@trainyard/journal';
import { Dispatcher } from '../dispatcher';
import { SchedulerStateRepository } from '../infrastructure/scheduler-state.repository';
import { SchedulerToggledEvent } from '../scheduler.events';
import { SetSchedulerEnabledCommand } from './set-scheduler-enabled.command';

@CommandHandler(SetSchedulerEnabledCommand)
export class SetSchedulerEnabledHandler implements ICommandHandler<SetSchedulerEnabledCommand, void> {
  constructor(
    private readonly journal: Journal,
    private readonly state: SchedulerStateRepository,
    private readonly dispatcher: Dispatcher,
  ) {}

  async execute({ enabled }: SetSchedulerEnabledCommand): Promise<void> {
    await this.journal.record(async (tx) => {
      const updatedAt = new Date().toISOString();
      await this.state.setEnabled(tx, enabled, updatedAt);
      return { result: undefined, events: [new SchedulerToggledEvent({ enabled, updated_at: updatedAt })] };
    });
    this.dispatcher.setEnabled(enabled);
  }
}
