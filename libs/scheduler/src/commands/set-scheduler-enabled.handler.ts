import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Journal } from '@trainyard/journal';
import { Dispatcher } from '../dispatcher';
import { SchedulerStateRepository } from '../infrastructure/scheduler-state.repository';
import { SchedulerToggledEvent, SetSchedulerEnabledCommand } from './set-scheduler-enabled.command';

@CommandHandler(SetSchedulerEnabledCommand)
export class SetSchedulerEnabledHandler implements ICommandHandler<SetSchedulerEnabledCommand, void> {
  constructor(
    private readonly journal: Journal,
    private readonly state: SchedulerStateRepository,
    private readonly dispatcher: Dispatcher,
  ) {}

  async execute({ enabled }: SetSchedulerEnabledCommand): Promise<void> {
    await this.journal.record(async (tx) => {
      await this.state.setEnabled(tx, enabled);
      return { result: undefined, events: [new SchedulerToggledEvent(enabled)] };
    });
    this.dispatcher.setEnabled(enabled);
  }
}
