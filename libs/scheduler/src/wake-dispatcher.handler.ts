import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { GpuPolicyChangedEvent } from '@trainyard/gpus';
import {
  JobCancelledEvent,
  JobFinishedEvent,
  JobHeldEvent,
  JobPreemptedEvent,
  JobPriorityChangedEvent,
  JobQueuedEvent,
  JobReleasedEvent,
  JobRequeuedEvent,
  JobsDeletedEvent,
  JobStartedEvent,
} from '@trainyard/jobs';
import { Dispatcher } from './dispatcher';
import { SchedulerToggledEvent } from './scheduler.events';

type WakeEvent =
  | JobQueuedEvent
  | JobRequeuedEvent
  | JobPreemptedEvent
  | JobPriorityChangedEvent
  | JobHeldEvent
  | JobReleasedEvent
  | JobFinishedEvent
  | JobCancelledEvent
  | JobStartedEvent
  | JobsDeletedEvent
  | GpuPolicyChangedEvent
  | SchedulerToggledEvent;

/** Anything that can free or claim a GPU, or change who qualifies, triggers a pass at once. */
@EventsHandler(
  JobQueuedEvent,
  JobRequeuedEvent,
  // A preempted job is back in the queue (its GPUs free for its preemptor).
  JobPreemptedEvent,
  // A queued job's new priority changes who goes first.
  JobPriorityChangedEvent,
  // A released job may start; a held one may let the jobs behind it start.
  JobHeldEvent,
  JobReleasedEvent,
  JobFinishedEvent,
  JobCancelledEvent,
  // A dependency that started (after_start) or was deleted changes who may start.
  JobStartedEvent,
  JobsDeletedEvent,
  GpuPolicyChangedEvent,
  SchedulerToggledEvent,
)
export class WakeDispatcherOnChange implements IEventHandler<WakeEvent> {
  constructor(private readonly dispatcher: Dispatcher) {}

  handle(): void {
    this.dispatcher.wake();
  }
}
