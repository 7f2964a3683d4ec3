import { Test } from '@nestjs/testing';
import { CqrsModule, EventBus } from '@nestjs/cqrs';
import { JobEndWatcher } from './job-end-watcher';
import {
  JobCancelledEvent,
  JobDependencyFailedEvent,
  JobFinishedEvent,
  JobStartedEvent,
  JobsDeletedEvent,
} from './job.events';

describe(JobEndWatcher.name, () => {
  let sut: JobEndWatcher;
  let bus: EventBus;

  beforeEach(async () => {
    const module = await Test.createTestingModule({
      imports: [CqrsModule.forRoot()],
      providers: [JobEndWatcher],
    }).compile();
    await module.init();
    sut = module.get(JobEndWatcher);
    bus = module.get(EventBus);
  });

  it('holds nothing once every watch is released (a follower that went away)', () => {
    const watches = Array.from({ length: 1000 }, (_, i) => sut.watch(`q_${i % 10}`));
    expect(sut.activeWatches).toBe(1000);
    for (const watch of watches) {
      watch.release();
      watch.release(); // idempotent
    }
    expect(sut.activeWatches).toBe(0);
  });

  it.each([
    [
      'finished',
      new JobFinishedEvent({
        queue_id: 'q_a',
        status: 'failed',
        exit_code: 3,
        error: 'exit 3',
        termination_reason: 'exited_nonzero',
        ended_at: '2026-11-30T00:00:00.000Z',
      }),
      { status: 'failed', exit_code: 3 },
    ],
    ['cancelled while queued', new JobCancelledEvent('q_a'), { status: 'cancelled', exit_code: null }],
    [
      'aborted while queued (a dependency failed)',
      new JobDependencyFailedEvent({
        queue_id: 'q_a',
        error: 'dependency q_x failed',
        ended_at: '2026-11-30T00:00:00.000Z',
      }),
      { status: 'aborted', exit_code: null },
    ],
    ['deleted', new JobsDeletedEvent(['q_b', 'q_a']), { status: 'deleted', exit_code: null }],
  ])('ends every watch of a job that is %s, and forgets them', async (_name, event, end) => {
    const first = sut.watch('q_a');
    const second = sut.watch('q_a');
    const other = sut.watch('q_c');
    bus.publish(new JobStartedEvent({ queue_id: 'q_a', pid: 123, proc_start_time: null }));
    expect(sut.activeWatches).toBe(3);
    bus.publish(event);
    await expect(first.ended).resolves.toEqual(end);
    await expect(second.ended).resolves.toEqual(end);
    expect(sut.activeWatches).toBe(1);
    first.release();
    other.release();
    expect(sut.activeWatches).toBe(0);
  });
});
