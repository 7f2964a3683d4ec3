import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { StartBlockerQuery } from '@trainyard/jobs';
import { Dispatcher } from '../dispatcher';

@QueryHandler(StartBlockerQuery)
export class StartBlockerHandler implements IQueryHandler<StartBlockerQuery, string | null> {
  constructor(private readonly dispatcher: Dispatcher) {}

  execute(): Promise<string | null> {
    return Promise.resolve(this.dispatcher.startBlocker());
  }
}
