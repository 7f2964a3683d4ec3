import { Command } from '@nestjs/cqrs';

export class SetSchedulerEnabledCommand extends Command<void> {
  constructor(readonly enabled: boolean) {
    super();
  }
}
