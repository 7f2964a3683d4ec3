import type { CommandBus } from '@nestjs/cqrs';
import { AuthScheduler, SESSION_PURGE_INTERVAL_MS } from './auth.scheduler';
import { PurgeExpiredSessionsCommand } from './commands/purge-expired-sessions.command';

describe(AuthScheduler.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('dispatches a purge of expired sessions every interval until destroyed', () => {
    const execute = jest.fn().mockResolvedValue(0);
    const sut = new AuthScheduler({ execute } as unknown as CommandBus);
    sut.onModuleInit();
    jest.advanceTimersByTime(SESSION_PURGE_INTERVAL_MS * 2);
    expect(execute).toHaveBeenCalledTimes(2);
    expect(execute.mock.calls[0][0]).toBeInstanceOf(PurgeExpiredSessionsCommand);
    sut.onModuleDestroy();
    jest.advanceTimersByTime(SESSION_PURGE_INTERVAL_MS * 2);
    expect(execute).toHaveBeenCalledTimes(2);
  });
});
