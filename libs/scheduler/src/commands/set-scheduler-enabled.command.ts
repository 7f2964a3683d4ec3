import { Command } from '@nestjs/cqrs';
import type { JournaledEvent } from '@trainyard/journal';

export class SetSchedulerEnabledCommand extends Command<void> {
  constructor(readonly enabled: boolean) {
    super();
  }
}

export class SchedulerToggledEvent implements JournaledEvent {
  readonly type = 'scheduler.toggled';
  constructor(readonly enabled: boolean) {}
}
