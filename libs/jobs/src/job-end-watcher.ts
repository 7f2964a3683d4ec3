import { Injectable } from '@nestjs/common';
import { EventBus, ofType } from '@nestjs/cqrs';
import { filter, firstValueFrom, map } from 'rxjs';
import { JobFinishedEvent } from './job.events';
import type { TtyJobEnd } from './tty';

/** Resolves when a given job's terminal state is committed (used to end log streams). */
@Injectable()
export class JobEndWatcher {
  constructor(private readonly eventBus: EventBus) {}

  ended(queueId: string): Promise<TtyJobEnd> {
    return firstValueFrom(
      this.eventBus.pipe(
        ofType(JobFinishedEvent),
        filter((e) => e.queue_id === queueId),
        map((e) => ({ status: e.status, exit_code: e.exit_code })),
      ),
    );
  }
}
