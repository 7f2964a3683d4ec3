import type { ServiceDto } from '@trainyard/sdk';
import { serviceView } from './service-state';

const NOW = Date.parse('2026-11-30T12:00:00.000Z');

function service(over: Partial<ServiceDto>): ServiceDto {
  return {
    type: 'command',
    name: 'web',
    enabled: true,
    priority: 0,
    requested_gpus: 0,
    restart: 'on-failure',
    health_check: null,
    args: { argv: ['sleep', '9'] },
    signature: 'abc',
    state: 'running',
    queue_id: 'q_1_aa',
    running: true,
    health: null as unknown as ServiceDto['health'],
    last_probe: null,
    restarts: 0,
    consecutive_failures: 0,
    next_attempt_at: null,
    last_exit: null,
    error: null,
    job: null,
    ...over,
  };
}

describe('serviceView', () => {
  it.each<[string, Partial<ServiceDto>, string, string, boolean]>([
    ['running, no probe', { state: 'running' }, 'running', 'ok', true],
    ['running, probe not yet answered', { state: 'running', health: 'starting' }, 'starting', 'warn', true],
    ['running, probe answers', { state: 'running', health: 'healthy' }, 'healthy', 'ok', true],
    ['running, probe fails', { state: 'running', health: 'unhealthy' }, 'unhealthy', 'danger', true],
    ['instance starting', { state: 'starting', running: false }, 'starting', 'warn', true],
    ['instance queued', { state: 'queued', running: false }, 'queued', 'warn', true],
    ['instance stopping', { state: 'stopping' }, 'stopping', 'warn', true],
    ['waiting to restart', { state: 'backoff', queue_id: null }, 'backoff', 'warn', true],
    ['crash loop', { state: 'crash_loop', queue_id: null }, 'crash-loop', 'danger', true],
    ['disabled', { state: 'disabled', enabled: false, queue_id: null }, 'disabled', 'off', false],
    ['enabled, not running', { state: 'stopped', queue_id: null }, 'stopped', 'off', false],
    [
      'its start refused',
      { state: 'refused', queue_id: null, error: 'port 6006 is already used by q_1 (running)' },
      'refused',
      'danger',
      true,
    ],
    [
      'bad config entry',
      { state: 'invalid', error: 'args.port: must be ≤ 65535' },
      'invalid',
      'danger',
      false,
    ],
  ])('%s → %s', (_case, over, label, tone, active) => {
    const v = serviceView(service(over), NOW);
    expect({ label: v.label, tone: v.tone, active: v.active }).toEqual({ label, tone, active });
    expect(v.detail).not.toBe('');
  });

  it('says what the failing health probe got (before: only that it fails)', () => {
    const v = serviceView(
      service({
        health: 'unhealthy',
        last_probe: { at: '2026-11-30T11:59:58.000Z', ok: false, result: 'GET /nope → HTTP 404' },
      }),
      NOW,
    );
    expect(v.detail).toMatch(/^Running, but the health probe fails: GET \/nope → HTTP 404 \(.+\)$/);
  });

  it('explains an invalid entry with its error', () => {
    expect(serviceView(service({ state: 'invalid', error: 'args.port: must be ≤ 65535' }), NOW).detail).toBe(
      'args.port: must be ≤ 65535',
    );
  });

  /** The detail of a service in a crash loop (3 failures, next try in 4 s) whose last instance failed so. */
  const crashLoopDetail = (exit_code: number, error: string | null, ended_at: string | null) =>
    serviceView(
      service({
        state: 'crash_loop',
        consecutive_failures: 3,
        next_attempt_at: new Date(NOW + 4_000).toISOString(),
        last_exit: {
          queue_id: 'q_1_bb',
          status: 'failed',
          termination_reason: 'exited_nonzero',
          exit_code,
          error,
          ended_at,
        },
      }),
      NOW,
    ).detail;

  it('counts down to the next restart and names the last exit', () => {
    const detail = crashLoopDetail(1, null, new Date(NOW - 1_000).toISOString());
    expect(detail).toMatch(
      /^Restarting in 4s \(at .+\) after 3 failures in a row; Last instance failed \(exit code 1\)/,
    );
  });

  it("gives the failed instance's error, not only its exit code", () => {
    // Before: "Last instance failed (exit code 127)", though the job said what was wrong.
    const detail = crashLoopDetail(127, 'command not found: tensorboard', null);
    expect(detail).toMatch(/; Last instance failed \(exit code 127\): command not found: tensorboard$/);
  });

  it('shows a stopped service whose last start failed in red, with why', () => {
    const v = serviceView(service({ state: 'stopped', queue_id: null, error: 'launch failed: ENOENT' }), NOW);
    expect(v).toMatchObject({ label: 'stopped', tone: 'danger', detail: 'launch failed: ENOENT' });
  });
});
