import type { ServiceDto } from '@trainyard/sdk';
import type { CliContext } from '../context';
import { palette } from '../format';
import { renderServices } from './service.command';

describe(renderServices.name, () => {
  const ctx = { colors: palette(false) } as CliContext;
  const now = Date.parse('2026-12-02T12:00:00Z');
  const service = (fields: Partial<ServiceDto>): ServiceDto =>
    ({
      type: 'command',
      name: 'web',
      state: 'running',
      health: null,
      queue_id: null,
      restarts: 0,
      consecutive_failures: 0,
      next_attempt_at: null,
      last_exit: null,
      error: null,
      ...fields,
    }) as ServiceDto;

  it('says how many failures in a row a waiting service had and when it tries again', () => {
    // Before: `crash_loop` alone, and the table never said whether or when it would try again.
    const table = renderServices(
      ctx,
      [
        service({
          name: 'crashy',
          state: 'crash_loop',
          restarts: 3,
          consecutive_failures: 3,
          next_attempt_at: new Date(now + 12_000).toISOString(),
        }),
        service({
          name: 'flaky',
          state: 'backoff',
          consecutive_failures: 1,
          next_attempt_at: new Date(now + 900).toISOString(),
        }),
        service({ name: 'web', state: 'running', queue_id: 'q_1796000000000_0000000a' }),
      ],
      now,
    );
    expect(table).toContain('crash_loop (3 failures; next try in 12s)');
    expect(table).toContain('backoff (1 failure; next try in 1s)');
    expect(table).toMatch(/command\/web\s+running\s/);
  });

  it('says why the last instance of a failing service failed', () => {
    // Before: `q_… failed (127)` only; the job's error ("command not found: …") was not shown.
    const table = renderServices(ctx, [
      service({
        name: 'tb',
        state: 'crash_loop',
        last_exit: {
          queue_id: 'q_1796000000000_0000000b',
          status: 'failed',
          termination_reason: 'exited',
          exit_code: 127,
          error: 'command not found: tensorboard',
          ended_at: null,
        },
      }),
    ]);
    expect(table).toContain(
      'command/tb: last instance q_1796000000000_0000000b failed: command not found: tensorboard\n',
    );
  });

  it('says what the failing health probe of an unhealthy service got (before: nothing)', () => {
    const table = renderServices(ctx, [
      service({
        name: 'webby',
        health: 'unhealthy',
        last_probe: { at: '2026-12-02T11:59:58Z', ok: false, result: 'GET /nope → HTTP 404' },
      }),
    ]);
    expect(table).toContain('command/webby: health probe: GET /nope → HTTP 404\n');
  });
});
