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
    const before = this.dispatcher.isEnabled;
    await this.journal
      .record(async (tx) => {
        const updatedAt = new Date().toISOString();
        await this.state.setEnabled(tx, enabled, updatedAt);
        // Applied in the transaction: a submit later in the same group commit (a later journal
        // entry) must see it, and not start at submit after a committed pause.
        this.dispatcher.setEnabled(enabled);
        return { result: undefined, events: [new SchedulerToggledEvent({ enabled, updated_at: updatedAt })] };
      })
      .catch((err: unknown) => {
        this.dispatcher.setEnabled(before); // not committed: as it was
        throw err;
      });
  }
}
