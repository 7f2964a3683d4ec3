import { Command } from '@nestjs/cqrs';

export type CancelOutcome = 'removed' | 'aborting';

export class CancelQueueItemCommand extends Command<CancelOutcome> {
  constructor(readonly queueId: string) {
    super();
  }
}
