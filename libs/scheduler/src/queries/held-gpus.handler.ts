import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { type HeldGpus, HeldGpusQuery } from '@trainyard/jobs';
import { Dispatcher } from '../dispatcher';

@QueryHandler(HeldGpusQuery)
export class HeldGpusHandler implements IQueryHandler<HeldGpusQuery, HeldGpus | null> {
  constructor(private readonly dispatcher: Dispatcher) {}

  execute(): Promise<HeldGpus | null> {
    return Promise.resolve(this.dispatcher.heldGpus());
  }
}
